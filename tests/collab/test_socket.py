"""The one socket: who may connect, what reaches whom, and bad frames."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from collab import events, services
from collab.models import Notification
from tests.conftest import connect_socket

pytestmark = [pytest.mark.django_db(transaction=True)]


async def receive(communicator, timeout=3):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def open_socket(user):
    communicator, connected, _ = await connect_socket(user)
    assert connected
    hello = await receive(communicator)
    assert hello["type"] == "hello"
    return communicator, hello


async def test_hello_carries_identity_and_unread_count(user_factory):
    alice = await sync_to_async(user_factory)()
    await sync_to_async(Notification.objects.create)(recipient=alice, kind="t", title="old")
    communicator, hello = await open_socket(alice)
    assert hello["user"] == {"id": alice.pk, "username": alice.username}
    assert hello["unread"] == 1
    await communicator.disconnect()


async def test_notification_reaches_recipient_and_no_one_else(user_factory):
    alice = await sync_to_async(user_factory)()
    bob = await sync_to_async(user_factory)(directorate=alice.directorate)
    alice_socket, _ = await open_socket(alice)
    bob_socket, _ = await open_socket(bob)

    await sync_to_async(services.notify)(
        alice, kind="test", title="<b>Réunion</b> اجتماع", link="/x/"
    )

    frame = await receive(alice_socket)
    assert frame["type"] == "event"
    assert frame["event"] == "notification.created"
    assert frame["data"]["title"] == "<b>Réunion</b> اجتماع"
    assert frame["data"]["unread"] == 1
    # Rendered safely: the title is escaped in the fragment.
    assert "&lt;b&gt;Réunion&lt;/b&gt;" in frame["data"]["html"]
    assert "<b>Réunion" not in frame["data"]["html"]
    assert await bob_socket.receive_nothing(timeout=0.3)
    await alice_socket.disconnect()
    await bob_socket.disconnect()


async def test_every_tab_of_the_user_gets_the_event(user):
    tab1, _ = await open_socket(user)
    tab2, _ = await open_socket(user)
    await sync_to_async(services.notify)(user, kind="test", title="hello")
    for tab in (tab1, tab2):
        assert (await receive(tab))["event"] == "notification.created"
        await tab.disconnect()


async def test_marking_read_updates_every_tab(user):
    notification = await sync_to_async(services.notify)(user, kind="t", title="x")
    tab1, _ = await open_socket(user)
    tab2, _ = await open_socket(user)
    await sync_to_async(services.mark_notifications_read)(user, [notification.pk])
    for tab in (tab1, tab2):
        frame = await receive(tab)
        assert frame["event"] == "notification.read"
        assert frame["data"] == {"ids": [notification.pk], "unread": 0}
        await tab.disconnect()


async def test_nothing_is_sent_when_the_transaction_rolls_back(user):
    socket, _ = await open_socket(user)

    def failing_write():
        from django.db import transaction

        with pytest.raises(RuntimeError), transaction.atomic():
            services.notify(user, kind="t", title="never")
            raise RuntimeError("boom")

    await sync_to_async(failing_write)()
    assert await socket.receive_nothing(timeout=0.3)
    assert not await sync_to_async(Notification.objects.filter(title="never").exists)()
    await socket.disconnect()


async def test_directorate_group_reaches_only_that_directorate(user_factory, directorate_factory):
    rabat = await sync_to_async(directorate_factory)(kind="regional")
    oujda = await sync_to_async(directorate_factory)(kind="regional")
    in_rabat = await sync_to_async(user_factory)(directorate=rabat)
    in_oujda = await sync_to_async(user_factory)(directorate=oujda)
    rabat_socket, _ = await open_socket(in_rabat)
    oujda_socket, _ = await open_socket(in_oujda)

    await get_channel_layer().group_send(
        events.group_name(events.Audience.DIRECTORATE, rabat.pk),
        events.event_message("test.directorate", {"n": 1}),
    )
    assert (await receive(rabat_socket))["event"] == "test.directorate"
    assert await oujda_socket.receive_nothing(timeout=0.3)
    await rabat_socket.disconnect()
    await oujda_socket.disconnect()


async def test_anonymous_socket_is_refused(db):
    communicator, connected, code = await connect_socket(None)
    assert not connected
    assert code == 4401


async def test_foreign_origin_is_refused(user):
    communicator, connected, _ = await connect_socket(user, origin=b"http://evil.example")
    assert not connected


async def test_missing_origin_is_refused(user):
    communicator, connected, _ = await connect_socket(user, origin=None)
    assert not connected


async def test_inactive_user_is_refused(user):
    socket_key_user = user
    user.is_active = False
    await sync_to_async(user.save)()
    communicator, connected, _ = await connect_socket(socket_key_user)
    assert not connected


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('{"data": {}}', "bad_frame"),
        ('{"action": "fly"}', "unknown_action"),
        ('{"action": "ping", "data": []}', "bad_frame"),
        ('{"action": "ping", "data": {"x": 1}}', "bad_payload"),
        ('{"action": "sync", "data": {}}', "bad_payload"),
        ('{"action": "sync", "data": {"notifications_after": "7"}}', "bad_payload"),
        ('{"action": "sync", "data": {"notifications_after": true}}', "bad_payload"),
    ],
)
async def test_malformed_frames_get_an_error_and_the_socket_stays_open(user, frame, code):
    socket, _ = await open_socket(user)
    await socket.send_to(text_data=frame)
    error = await receive(socket)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    await socket.send_to(text_data='{"action": "ping", "ref": "p1"}')
    assert await receive(socket) == {"type": "reply", "action": "ping", "data": {}, "ref": "p1"}
    await socket.disconnect()


async def test_binary_frame_gets_an_error(user):
    socket, _ = await open_socket(user)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await receive(socket))["code"] == "bad_frame"
    await socket.disconnect()


async def test_oversized_frame_closes_with_1009(user, settings):
    socket, _ = await open_socket(user)
    await socket.send_to(text_data="x" * (settings.WEBSOCKET_MAX_FRAME_BYTES + 1))
    output = await socket.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 1009}


async def test_sync_returns_missed_notifications_in_order(user):
    first = await sync_to_async(services.notify)(user, kind="t", title="first")
    socket, _ = await open_socket(user)
    await sync_to_async(Notification.objects.create)(recipient=user, kind="t", title="missed 1")
    await sync_to_async(Notification.objects.create)(recipient=user, kind="t", title="missed 2")
    await socket.send_to(
        text_data=json.dumps(
            {"action": "sync", "ref": 7, "data": {"notifications_after": first.pk}}
        )
    )
    reply = await receive(socket)
    assert reply["ref"] == 7
    assert [n["title"] for n in reply["data"]["notifications"]] == ["missed 1", "missed 2"]
    assert reply["data"]["unread"] == 3
    await socket.disconnect()


async def test_logout_closes_that_sessions_sockets_only(user):
    from django.test import Client

    from tests.conftest import session_cookie_for

    key, client = await sync_to_async(session_cookie_for)(user)
    other_key, _ = await sync_to_async(session_cookie_for)(user)
    socket, connected, _ = await connect_socket(user, session_key=key)
    other, other_connected, _ = await connect_socket(user, session_key=other_key)
    assert connected and other_connected
    await receive(socket)
    await receive(other)

    response = await sync_to_async(client.post)("/logout/")
    assert response.status_code == 302

    frame = await receive(socket)
    assert frame["event"] == "session.ended"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4001}
    assert await other.receive_nothing(timeout=0.3)
    # The logged-out session cannot reconnect.
    _, reconnected, code = await connect_socket(user, session_key=key)
    assert not reconnected and code == 4401
    await other.disconnect()
    assert isinstance(client, Client)


async def test_deactivation_closes_every_socket_and_refuses_reconnect(user):
    key, _ = await sync_to_async(session_cookie_for_user)(user)
    socket, connected, _ = await connect_socket(user, session_key=key)
    assert connected
    await receive(socket)
    user.is_active = False
    await sync_to_async(user.save)()
    frame = await receive(socket)
    assert frame["event"] == "account.disabled"
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4003}
    _, reconnected, _ = await connect_socket(user, session_key=key)
    assert not reconnected


def session_cookie_for_user(user):
    from tests.conftest import session_cookie_for

    return session_cookie_for(user)


async def test_error_messages_are_in_the_users_language(user_factory):
    french = await sync_to_async(user_factory)(preferred_language="fr")
    socket, _ = await open_socket(french)
    await socket.send_to(text_data='{"action": "fly"}')
    error = await receive(socket)
    assert error["message"] == "Action inconnue : fly"
    await socket.disconnect()


async def test_socket_actions_leave_no_stale_database_connection(user, settings):
    """With CONN_MAX_AGE=0 (the tests' setting) an action's thread closes its
    connection (gives it back to the pool) when the action ends: none is
    left held by a thread to outlive the test
    database (seen on PostgreSQL before the consumer checked in the handler's
    own call)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("counts server sessions: needs PostgreSQL (set DATABASE_URL)")

    def other_sessions():
        """Connections held by threads: checked out of the pool (settings.py
        pools PostgreSQL connections), or open server sessions without one."""
        if connection.pool is not None:
            connection.ensure_connection()
            stats = connection.pool.get_stats()
            return stats["pool_size"] - stats["pool_available"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0]

    before = await sync_to_async(other_sessions)()
    communicator, _ = await open_socket(user)
    for n in range(3):
        await communicator.send_json_to(
            {"action": "sync", "ref": n, "data": {"notifications_after": 0}}
        )
        reply = await receive(communicator)
        assert reply["type"] == "reply" and reply["ref"] == n
    await communicator.disconnect()
    assert await sync_to_async(other_sessions)() <= before
