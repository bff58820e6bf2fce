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


@register.simple_tag
def presence_of(user_id) -> str:
    from chat import live

    return live.presence_of([user_id])[user_id]
