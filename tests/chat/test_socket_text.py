"""Message text over the socket: bidi controls are taken out, U+FFFD typed by a
person is kept (only HTTP uses it to mark undecodable bytes)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat.models import Message
from tests.conftest import connect_socket

from .conftest import call, frames_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_bidi_controls_leave_messages_and_edits(two_directorates):
    channel, _other, a, _b = two_directorates
    communicator, connected, _code = await connect_socket(a[0])
    assert connected
    await frames_until(communicator, lambda f: f["type"] == "hello")
    reply = await call(communicator, "chat.send",
                       {"conversation": channel.pk, "body": "invoice\u202efdp.exe \ufffd"})
    assert reply["type"] == "reply"
    assert "\u202e" not in reply["data"]["html"]
    edit = await call(communicator, "chat.edit", {"conversation": channel.pk, "seq": 1,
                                                  "body": "\u2066edited\u2069"}, ref="e")
    assert edit["type"] == "reply"
    body = await sync_to_async(lambda: Message.objects.get(conversation=channel).body)()
    assert body == "edited"
    first = await call(communicator, "chat.send", {"conversation": channel.pk,
                                                   "body": "\u202b\u202c"}, ref="x")
    assert first["type"] == "error" and first["code"] == "empty_message"
    await communicator.disconnect()
