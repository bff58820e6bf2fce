from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def render_message(message):
    from chat.services import render_message as render

    # render() escapes user text itself (template autoescape + nh3).
    return mark_safe(render(message))


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
