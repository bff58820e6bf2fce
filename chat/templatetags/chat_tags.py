import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_state(presence: dict, user_id) -> str:
    return presence.get(user_id, "offline")


@register.simple_tag(takes_context=True)
def presence_of(context, user_id) -> str:
    """The person's presence, or "" when the viewer may not see it
    (chat.selectors.presence_visible, read once per request)."""
    from chat import live, selectors

    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is None or not viewer.is_authenticated:
        return ""
    visible = getattr(request, "_presence_visible", None)
    if visible is None:
        visible = request._presence_visible = selectors.presence_visible(viewer)
    if user_id not in visible:
        return ""
    return live.presence_of([user_id])[user_id]


@register.simple_tag(takes_context=True)
def chat_unread_total(context) -> int:
    """Unread messages in all the viewer's conversations (the Chat tab's count)."""
    from chat import selectors

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return selectors.total_unread(user)


@register.filter
def body_lang(message) -> str:
    from chat.text import body_language

    author = getattr(message, "author", None)
    return body_language(message.body, getattr(author, "preferred_language", "") or "")


_MENTION_SPAN = re.compile(r'<span class="mention">@([\w.+-]{1,150})</span>')


@register.filter
def mention_names(message) -> str:
    """The stored body HTML with each @username shown as the person's name in the
    reader's language, isolated in <bdi> (a name's direction is its own)."""
    from chat.text import mentioned_usernames
    from collab.models import User

    html = message.body_html
    if 'class="mention"' not in html:
        return mark_safe(html)
    people = getattr(message, "_mentioned_people", None)
    if people is None:
        names = mentioned_usernames(message.body)
        people = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        message._mentioned_people = people

    def name(match):
        person = people.get(match.group(1)) or people.get(match.group(1).rstrip("."))
        if person is None:
            return match.group(0)
        return (f'<span class="mention" data-mention="{escape(person.username)}">@<bdi>'
                f"{escape(person.display_name)}</bdi></span>")

    # body_html was cleaned by nh3 when stored; names are escaped here.
    return mark_safe(_MENTION_SPAN.sub(name, html))
