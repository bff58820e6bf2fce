"""A chat.send retried with the same client_id stores and broadcasts one message."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from chat import services
from chat.models import Message
from tests.conftest import connect_socket

from .conftest import call, drain, frames_until, is_event

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(user):
    communicator, connected, _code = await connect_socket(user)
    assert connected
    await frames_until(communicator, lambda f: f["type"] == "hello")
    return communicator


def count(**filters) -> int:
    return Message.objects.filter(**filters).count()


async def test_a_replayed_send_stores_nothing_new_and_replies_with_the_same_seq(
    two_directorates,
):
    channel, _other, a, _b = two_directorates
    sender, reader = await open_socket(a[0]), await open_socket(a[1])
    data = {"conversation": channel.pk, "body": "once only", "client_id": "c-1234"}
    first = await call(sender, "chat.send", data, ref="1")
    await frames_until(reader, is_event("chat.message", conversation=channel.pk, seq=1))
    # The reply was lost, the socket reconnects, the client sends again.
    await sender.disconnect()
    sender = await open_socket(a[0])
    again = await call(sender, "chat.send", data, ref="2")
    assert again["type"] == "reply"
    assert again["data"]["seq"] == first["data"]["seq"] == 1
    assert "once only" in again["data"]["html"]
    assert await sync_to_async(count)(conversation=channel) == 1
    # Nobody is told twice, and the conversation's counter did not move.
    frames = await drain(reader, 0.3)
    assert [f for f in frames if f.get("event") == "chat.message"] == []
    nxt = await call(sender, "chat.send", {"conversation": channel.pk, "body": "next",
                                           "client_id": "c-5678"}, ref="3")
    assert nxt["data"]["seq"] == 2
    for s in (sender, reader):
        await s.disconnect()


async def test_the_same_client_id_from_another_author_is_another_message(two_directorates):
    channel, _other, a, _b = two_directorates
    one, two = await open_socket(a[0]), await open_socket(a[1])
    data = {"conversation": channel.pk, "body": "hello", "client_id": "same-id"}
    r1 = await call(one, "chat.send", data)
    r2 = await call(two, "chat.send", data)
    assert (r1["data"]["seq"], r2["data"]["seq"]) == (1, 2)
    await one.disconnect()
    await two.disconnect()


@pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", "é"])
async def test_a_malformed_client_id_is_refused(two_directorates, client_id):
    channel, _other, a, _b = two_directorates
    sender = await open_socket(a[0])
    reply = await call(sender, "chat.send", {"conversation": channel.pk, "body": "hi",
                                             "client_id": client_id})
    assert reply["type"] == "error" and reply["code"] == "bad_client_id"
    assert await sync_to_async(count)() == 0
    await sender.disconnect()


async def test_concurrent_replays_store_one_message(two_directorates):
    channel, _other, a, _b = two_directorates
    sockets = [await open_socket(a[0]) for _ in range(4)]
    data = {"conversation": channel.pk, "body": "raced", "client_id": "race-1"}
    replies = await asyncio.gather(*(call(s, "chat.send", data) for s in sockets))
    assert {r["type"] for r in replies} == {"reply"}
    assert {r["data"]["seq"] for r in replies} == {1}
    assert await sync_to_async(count)(conversation=channel) == 1
    for s in sockets:
        await s.disconnect()


def test_http_fallback_honours_client_id_too(two_directorates, client_for):
    channel, _other, a, _b = two_directorates
    client = client_for(a[0])
    for _ in range(2):
        response = client.post(f"/chat/{channel.pk}/send/",
                               {"body": "by http", "client_id": "h-1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and 'data-seq="1"' in response.content.decode()
    assert Message.objects.filter(conversation=channel).count() == 1
    # The service is the same for both paths: a socket replay finds it as well.
    again = services.send_message(a[0], channel.pk, "by http", client_id="h-1")
    assert again.seq == 1
