"""Hostile text on the socket: lone surrogates, NUL and control characters in any
field get a clear error in the user's language; the socket stays open and
nothing is written."""

import json

import pytest
from asgiref.sync import sync_to_async

from chat.models import Conversation, Message
from collab.text import BadText, check_text, find_bad_char, find_bad_in
from tests.conftest import connect_socket

pytestmark = [pytest.mark.django_db(transaction=True)]


async def receive(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def open_socket(user):
    communicator, connected, _ = await connect_socket(user)
    assert connected
    assert (await receive(communicator))["type"] == "hello"
    return communicator


def channel_of(user) -> int:
    return Conversation.objects.get(directorate=user.directorate).pk


# Raw JSON text as a client sends it: the escapes decode to the bad characters.
HOSTILE = [
    ("lone high surrogate in the body", '"body": "abc\\ud800def"', "U+D800"),
    ("lone low surrogate in the body", '"body": "\\udfff"', "U+DFFF"),
    ("NUL in the body", '"body": "a\\u0000b"', "U+0000"),
    ("escape in the body", '"body": "x\\u001b[31m"', "U+001B"),
    ("C1 control in the body", '"body": "x\\u0085"', "U+0085"),
    ("surrogate in a field name", '"body": "ok", "\\ud83d": 1', "U+D83D"),
]


@pytest.mark.parametrize(("label", "fields", "shown"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_bad_characters_in_a_send_get_an_error_and_store_nothing(
    user_factory, label, fields, shown
):
    alice = await sync_to_async(user_factory)(preferred_language="fr")
    conversation = await sync_to_async(channel_of)(alice)
    socket = await open_socket(alice)
    await socket.send_to(
        text_data='{"action": "chat.send", "ref": "r1", "data": {"conversation": '
        + str(conversation) + ", " + fields + "}}"
    )
    error = await receive(socket)
    assert error["type"] == "error"
    assert error["code"] == "bad_text"
    assert error["ref"] == "r1"
    assert error["message"].startswith("Le texte contient un caractère non autorisé")
    assert shown in error["message"]
    assert await sync_to_async(Message.objects.filter(conversation_id=conversation).count)() == 0
    # The socket is still open and serves the next action.
    await socket.send_to(text_data='{"action": "ping", "ref": "p"}')
    assert (await receive(socket))["type"] == "reply"
    await socket.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        '{"action": "ping\\ud800"}',  # echoed today in the unknown-action message
        '{"action": "ping", "ref": "\\ud800"}',  # echoed in every reply
        '{"action": "chat.presence", "data": {"state": "online", "watch": ["\\u0000"]}}',
        '{"action": "sync", "data": {"notifications_after": 0}, "x": {"y": ["\\udc00"]}}',
    ],
)
async def test_bad_characters_anywhere_in_a_frame_never_close_the_socket(user_factory, frame):
    alice = await sync_to_async(user_factory)(preferred_language="ar")
    socket = await open_socket(alice)
    await socket.send_to(text_data=frame)
    error = await receive(socket)
    assert error["code"] == "bad_text"
    assert "ref" not in error  # a bad ref is not echoed
    assert error["message"].startswith("يحتوي النص على حرف غير مسموح به")
    await socket.send_to(text_data='{"action": "ping", "ref": "p"}')
    assert (await receive(socket)) == {"type": "reply", "action": "ping", "data": {}, "ref": "p"}
    await socket.disconnect()


async def test_deeply_nested_frame_is_refused_not_a_server_error(user):
    socket = await open_socket(user)
    await socket.send_to(text_data="[" * 20000 + "]" * 20000)
    assert (await receive(socket))["code"] == "bad_frame"
    await socket.disconnect()


async def test_text_with_lines_tabs_and_every_script_is_accepted(user_factory):
    alice = await sync_to_async(user_factory)()
    conversation = await sync_to_async(channel_of)(alice)
    socket = await open_socket(alice)
    body = "سطر أول\nligne 2\tcolonne\r\n😀 emoji"
    await socket.send_to(text_data=json.dumps(
        {"action": "chat.send", "ref": 1, "data": {"conversation": conversation, "body": body}}
    ))
    reply = await receive(socket)
    while reply["type"] != "reply":
        reply = await receive(socket)
    stored = await sync_to_async(Message.objects.get)(conversation_id=conversation)
    assert stored.body == body.strip()
    await socket.disconnect()


def test_the_shared_check_names_the_first_bad_character():
    assert find_bad_char("ok\n\tتمام") is None
    assert find_bad_char("a\x00b\x07") == "\x00"
    assert find_bad_in({"k": ["fine", {"deep": "x\ud800"}]}) == "\ud800"
    with pytest.raises(BadText) as caught:
        check_text("a\x7f")
    assert "U+007F" in caught.value.message
