"""Socket handshakes: the login and every read in one call, the same refusals,
and many handshakes at once, each joining its own groups."""

import asyncio
import json
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
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


# ---- The handshake's plain-SQL login (collab.socket_auth.quick_login) -------
# It answers only when Django's get_user would give the same user; every other
# session goes through get_user itself. Each case below spoils one thing.


def _get_user(key):
    from django.contrib.auth import get_user

    from collab.socket_auth import _Handshake

    return get_user(_Handshake(SessionStore(key)))


def _spoil_password(user, key):
    User.objects.filter(pk=user.pk).update(password=make_password("Another-pass-456"))


def _spoil_active(user, key):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _spoil_user_deleted(user, key):
    User.objects.filter(pk=user.pk).delete()


def _spoil_expiry(user, key):
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())


def _spoil_signature(user, key):
    session = Session.objects.get(session_key=key)
    session.session_data = "x" + session.session_data[1:]
    session.save()


def _rewrite(key, **changes):
    store = SessionStore(key)
    for name, value in changes.items():
        if value is None:
            store.pop(name, None)
        else:
            store[name] = value
    store.save()


def _spoil_backend(user, key):
    _rewrite(key, _auth_user_backend="django.contrib.auth.backends.RemoteUserBackend")


def _spoil_hash(user, key):
    _rewrite(key, _auth_user_hash=None)


@pytest.mark.parametrize("spoil", [
    _spoil_password, _spoil_active, _spoil_user_deleted, _spoil_expiry, _spoil_signature,
    _spoil_backend, _spoil_hash,
])
def test_quick_login_leaves_every_doubtful_session_to_get_user(user, spoil):
    from collab.socket_auth import quick_login

    key, _ = session_cookie_for(user)
    found = quick_login(key)
    assert found is not None and found.user == user == _get_user(key)
    spoil(user, key)
    assert quick_login(key) is None
    opening = socket_opening(key)
    assert not opening.user.is_authenticated
    assert not opening.groups


def test_quick_login_reads_what_get_user_and_the_handshake_read(user_factory, directorate):
    from collab.models import Notification
    from collab.selectors import unread_count
    from collab.socket_auth import quick_login

    person = user_factory(directorate=directorate)
    Notification.objects.create(recipient=person, kind="t", title="unread")
    Notification.objects.create(recipient=person, kind="t", title="read",
                                read_at=timezone.now())
    key, _ = session_cookie_for(person)
    found = quick_login(key)
    assert found.user == _get_user(key)
    for name in ("username", "password", "is_active", "directorate_id", "is_external",
                 "preferred_language", "role"):
        assert getattr(found.user, name) == getattr(person, name)
    assert found.unread == unread_count(person) == 1
    assert found.has_confirmed_device is False
    assert found.session.session_key == key
    assert found.session["_auth_user_id"] == str(person.pk)


def test_a_confirmed_device_needs_its_code_before_a_socket(user_factory, directorate):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from collab.socket_auth import quick_login

    person = user_factory(directorate=directorate)  # a role that may skip it
    key, _ = session_cookie_for(person)
    assert not socket_opening(key).needs_code
    TOTPDevice.objects.create(user=person, name="app", confirmed=False)
    assert not socket_opening(key).needs_code  # not confirmed: not enrolled yet
    TOTPDevice.objects.create(user=person, name="app", confirmed=True)
    assert quick_login(key).has_confirmed_device
    assert socket_opening(key).needs_code
