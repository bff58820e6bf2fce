"""Socket action handlers of the chat: parse, check, call one service."""

from __future__ import annotations

from django.utils import translation

from collab import events
from collab.models import User

from . import live, selectors, services
from .services import ChatError


def _in_language(handler):
    # Errors and rendered fragments go back in the user's own language.
    def wrapped(user: User, data: dict) -> dict:
        with translation.override(user.preferred_language):
            return handler(user, data)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


@_in_language
def send(user, data):
    message = services.send_message(user, data["conversation"], data["body"], data.get("reply_to"),
                                     client_id=data.get("client_id"))
    reply = {"conversation": message.conversation_id, "seq": message.seq,
             "html": services.sender_copy(message, user.preferred_language)}
    if events.encoded_size(reply) > events.frame_budget():
        # Stored all the same; the client loads it as it loads any message
        # too large for a frame (a resync, then HTTP).
        reply = {"conversation": message.conversation_id, "seq": message.seq, "fetch": True}
    return reply


@_in_language
def resync(user, data):
    return selectors.resync(user, data["conversations"])


@_in_language
def read(user, data):
    unread = services.mark_read(user, data["conversation"], data["seq"])
    return {"unread": unread}


@_in_language
def typing(user, data):
    return {"sent": services.typing(user, data["conversation"])}


@_in_language
def edit(user, data):
    message = services.edit_message(user, data["conversation"], data["seq"], data["body"])
    return {"seq": message.seq, "change": message.change}


@_in_language
def delete(user, data):
    message = services.delete_message(user, data["conversation"], data["seq"])
    return {"seq": message.seq, "change": message.change}


@_in_language
def react(user, data):
    return {"active": services.react(user, data["conversation"], data["seq"], data["emoji"])}


@_in_language
def pin(user, data):
    message = services.pin(user, data["conversation"], data["seq"], data["pinned"])
    return {"pinned": message.pinned_at is not None}


@_in_language
def presence(user, data):
    if data["state"] not in live.PRESENCE_STATES:
        raise ChatError("bad_state", translation.gettext("Unknown presence state."))
    live.set_presence(user.pk, data["state"])
    watch = [i for i in data["watch"] if isinstance(i, int) and not isinstance(i, bool)][:200]
    # Users the asker shares nothing with are left out: no answer, not even "offline".
    visible = selectors.presence_visible(user, watch)
    watch = [i for i in watch if i in visible]
    return {"presence": {str(k): v for k, v in live.presence_of(watch).items()}}
