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
