"""Socket handshakes: the login and every read in one call, the same refusals,
and many handshakes at once, each joining its own groups."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chat import services as chat_services
from collab import events
from collab.models import User
from collab.selectors import socket_opening
from tests.conftest import connect_socket, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True)]


async def receive(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def test_expired_session_is_refused(user):
    key, _ = await sync_to_async(session_cookie_for)(user)
    await sync_to_async(Session.objects.filter(session_key=key).update)(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    _, connected, code = await connect_socket(user, session_key=key)
    assert not connected
    assert code == 4401


async def test_session_of_a_replaced_password_is_refused_and_ended(user):
    key, _ = await sync_to_async(session_cookie_for)(user)
    # A hash written without signals (a script): only the handshake's check sees it.
    await sync_to_async(User.objects.filter(pk=user.pk).update)(
        password=make_password("Another-pass-456")
    )
    _, connected, code = await connect_socket(user, session_key=key)
    assert not connected
    assert code == 4401
    assert not await sync_to_async(Session.objects.filter(session_key=key).exists)()


async def test_session_signed_before_a_secret_key_rotation_still_opens(user, settings):
    key, _ = await sync_to_async(session_cookie_for)(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-" + "k" * 50
    socket, connected, _ = await connect_socket(user, session_key=key)
    assert connected
    assert (await receive(socket))["user"]["id"] == user.pk
    await socket.disconnect()


async def test_many_handshakes_at_once_each_join_their_own_groups(user_factory, directorate):
    people = [await sync_to_async(user_factory)(directorate=directorate) for _ in range(12)]
    group = await sync_to_async(chat_services.create_group)(
        people[0], "Storm", [p.pk for p in people[1:6]]
    )
    opened = await asyncio.gather(*(connect_socket(person) for person in people))
    assert all(connected for _, connected, _ in opened)
    sockets = [socket for socket, _, _ in opened]
    hellos = [await receive(socket) for socket in sockets]
    assert [hello["user"]["id"] for hello in hellos] == [p.pk for p in people]

    # Each socket hears its own user's events only,
    layer = get_channel_layer()
    await layer.group_send(events.group_name(events.Audience.USER, people[3].pk),
                           events.event_message("test.user", {"n": 3}))
    assert (await receive(sockets[3]))["event"] == "test.user"
    # its directorate's,
    await layer.group_send(events.group_name(events.Audience.DIRECTORATE, directorate.pk),
                           events.event_message("test.directorate", {"n": 1}))
    for socket in sockets:
        assert (await receive(socket))["event"] == "test.directorate"
    # and its conversations' (the chat app's groups, joined at the handshake).
    await layer.group_send(events.group_name(events.Audience.CONVERSATION, group.pk),
                           events.event_message("test.conversation", {"n": 2}))
    for socket in sockets[:6]:
        assert (await receive(socket))["event"] == "test.conversation"
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()


def test_a_handshake_reads_the_same_number_of_queries_however_many_conversations(
    user_factory, directorate
):
    person, other = user_factory(directorate=directorate), user_factory(directorate=directorate)
    key, _ = session_cookie_for(person)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            opening = socket_opening(key)
        return len(captured), opening

    few, first = queries()
    for n in range(5):
        chat_services.create_group(other, f"g{n}", [person.pk])
    many, second = queries()
    assert few == many
    assert len(second.groups) == len(first.groups) + 5
    assert second.user == person and second.unread == first.unread
