"""No leaks through socket errors: every action that takes an object id answers
for a conversation the user is not in exactly as for one that does not exist.

The actions are enumerated from collab.events.ACTIONS: a new action fails
this test until it has a case (or a reason it takes no object id)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat import services
from collab import events
from tests.conftest import connect_socket

from .conftest import call, frames_until

pytestmark = pytest.mark.django_db(transaction=True)

MISSING = 987_654_321

# Actions taking no object id, and why.
NO_OBJECT = {
    "ping": "no data",
    "sync": "a cursor over the user's own notifications",
    "chat.presence": "user ids, answered only for people who share something with the asker "
                     "(tests/chat: presence)",
}


def _message_fields(conversation_id):
    return {"conversation": conversation_id, "seq": 1}


# Each action: data for the given conversation id.
CASES = {
    "chat.send": lambda c: {"conversation": c, "body": "hello"},
    "chat.read": _message_fields,
    "chat.typing": lambda c: {"conversation": c},
    "chat.edit": lambda c: {**_message_fields(c), "body": "edited"},
    "chat.delete": _message_fields,
    "chat.react": lambda c: {**_message_fields(c), "emoji": "👍"},
    "chat.pin": lambda c: {**_message_fields(c), "pinned": True},
    "chat.resync": lambda c: {"conversations": {str(c): [0, 0]}},
}


def test_every_action_is_covered():
    names = set(events.ACTIONS)
    assert not names - set(CASES) - set(NO_OBJECT), sorted(names - set(CASES) - set(NO_OBJECT))
    assert not (set(CASES) | set(NO_OBJECT)) - names


@pytest.mark.parametrize("action", sorted(CASES))
async def test_a_conversation_you_are_not_in_answers_as_a_missing_one(action, user_factory):
    owner, member, stranger = [await sync_to_async(user_factory)() for _ in range(3)]
    group = await sync_to_async(services.create_group)(owner, "Private", [member.pk])
    await sync_to_async(services.send_message)(owner, group.pk, "first")
    communicator, connected, _code = await connect_socket(stranger)
    assert connected
    await frames_until(communicator, lambda f: f["type"] == "hello")
    hidden = await call(communicator, action, CASES[action](group.pk), ref="a")
    absent = await call(communicator, action, CASES[action](MISSING), ref="b")
    await communicator.disconnect()
    for reply in (hidden, absent):
        reply.pop("ref")
    if action == "chat.resync":
        # Both are answered as "gone" (the client drops them), each under the id asked.
        assert hidden["data"] == {"conversations": {}, "gone": [str(group.pk)]}
        assert absent["data"] == {"conversations": {}, "gone": [str(MISSING)]}
        assert hidden["type"] == absent["type"] == "reply"
    else:
        assert hidden == absent
        assert hidden["type"] == "error" and hidden["code"] == "unknown_conversation"
