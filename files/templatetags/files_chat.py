"""The files app's part of the conversation page: attach button and drop zone."""

from django import template
from django.conf import settings

from .. import services

register = template.Library()


@register.inclusion_tag("files/partials/conversation_attach.html", takes_context=True)
def conversation_attach(context, conversation):
    user = context["request"].user
    limit, _remaining = services.upload_limit(user)
    return {
        "conversation": conversation,
        "limit": limit,
        "max_size": settings.FILES_MAX_SIZE,
    }
