"""A login that ends, by any path, closes its open sockets and they cannot post.

Each path goes through its real entry point (pages, the admin, the ORM as a
shell would use it) against a socket on the real ASGI app. The signal paths
run with the periodic sweep effectively off, so they prove the signals; the
paths no signal sees (``QuerySet.update``, a session row removed or expired)
prove the sweep, or the check every action makes before it runs.
"""

from __future__ import annotations

import datetime
import json

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.forms import MultiWidget
from django.test import Client
from django.utils import timezone

from chat.models import Conversation, Message
from collab import session_guard
from collab.models import User
from tests.conftest import connect_socket, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Another-pass-456"


@pytest.fixture
def signals_only(settings):
    # A sweep an hour away: whatever closes the socket in the test is not it.
    settings.SESSION_SWEEP_SECONDS = 3600


@pytest.fixture
def quick_sweep(settings):
    settings.SESSION_SWEEP_SECONDS = 0.2


async def open_socket(user, session_key=None):
    if session_key is None:
        session_key, _ = await sync_to_async(session_cookie_for)(user)
    socket, connected, code = await connect_socket(user, session_key=session_key)
    assert connected, code
    hello = json.loads(await socket.receive_from(timeout=5))
    assert hello["type"] == "hello"
    return socket


async def closing(socket, timeout: float = 10) -> tuple[dict, int]:
    """The closing event frame the socket gets, then its close code."""
    frames = []
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            assert frames, "closed without telling why"
            return frames[-1], output["code"]
        frames.append(json.loads(output["text"]))


def channel_of(user) -> int:
    return Conversation.objects.get(directorate=user.directorate_id).pk


def stored_messages(conversation_id) -> int:
    return Message.objects.filter(conversation_id=conversation_id).count()


async def assert_cannot_post(socket, conversation_id):
    """A chat.send on the ended socket is not served and stores nothing."""
    before = await sync_to_async(stored_messages)(conversation_id)
    await socket.send_json_to(
        {"action": "chat.send", "ref": "late", "data": {"conversation": conversation_id,
                                                        "body": "after the end"}}
    )
    if not await socket.receive_nothing(timeout=0.5):
        raise AssertionError(f"the ended socket answered: {await socket.receive_output()}")
    assert await sync_to_async(stored_messages)(conversation_id) == before


async def test_logout_in_another_tab(user, signals_only):
    key, tab = await sync_to_async(session_cookie_for)(user)
    socket = await open_socket(user, key)
    conversation = await sync_to_async(channel_of)(user)

    assert (await sync_to_async(tab.post)("/logout/")).status_code == 302

    frame, code = await closing(socket)
    assert (frame["event"], frame["data"]["reason"], code) == ("session.ended", "logout", 4001)
    await assert_cannot_post(socket, conversation)


async def test_password_change_on_the_profile_page(user, signals_only):
    elsewhere = await open_socket(user)  # another browser
    key, tab = await sync_to_async(session_cookie_for)(user)
    same_tab = await open_socket(user, key)
    conversation = await sync_to_async(channel_of)(user)

    response = await sync_to_async(tab.post)("/password/", {
        "old_password": "Secret-pass-123",
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    })
    assert response.status_code == 302, response.content[:500]

    frame, code = await closing(elsewhere)
    assert (frame["event"], frame["data"]["reason"], code) == (
        "session.ended", "password changed", 4001)
    await assert_cannot_post(elsewhere, conversation)
    # The tab that changed it got a new session key: its socket, opened under
    # the old key, closes too (the page reloads and reconnects).
    frame, code = await closing(same_tab)
    assert (frame["event"], code) == ("session.ended", 4001)
    await assert_cannot_post(same_tab, conversation)
    # ...while that tab stays signed in and a new socket opens.
    assert (await sync_to_async(tab.get)("/notifications/")).status_code == 200
    reopened = await open_socket(user, tab.cookies["sessionid"].value)
    await reopened.disconnect()


@pytest.fixture
def admin_client(user_factory):
    admin = user_factory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


async def test_password_set_in_the_admin(user, admin_client, signals_only):
    socket = await open_socket(user)
    conversation = await sync_to_async(channel_of)(user)

    response = await sync_to_async(admin_client.post)(
        f"/admin/collab/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:800]
    assert await sync_to_async(lambda: User.objects.get(pk=user.pk).check_password(NEW_PASSWORD))()

    frame, code = await closing(socket)
    assert (frame["event"], frame["data"]["reason"], code) == (
        "session.ended", "password changed", 4001)
    await assert_cannot_post(socket, conversation)


async def test_set_password_and_save_in_a_shell(user, signals_only):
    socket = await open_socket(user)
    conversation = await sync_to_async(channel_of)(user)

    def shell():
        someone = User.objects.get(pk=user.pk)
        someone.set_password(NEW_PASSWORD)
        someone.save()

    await sync_to_async(shell)()

    frame, code = await closing(socket)
    assert (frame["event"], frame["data"]["reason"], code) == (
        "session.ended", "password changed", 4001)
    await assert_cannot_post(socket, conversation)


def admin_change_form_data(client, user) -> dict:
    """What the admin's change page posts for ``user`` as it stands."""
    page = client.get(f"/admin/collab/user/{user.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {"_save": "Save"}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):
            for n, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{n}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif value is not None:
            data[name] = str(value)
    return data


async def test_deactivation_in_the_admin(user, admin_client, signals_only):
    socket = await open_socket(user)
    conversation = await sync_to_async(channel_of)(user)

    data = await sync_to_async(admin_change_form_data)(admin_client, user)
    del data["is_active"]  # the box unticked
    response = await sync_to_async(admin_client.post)(
        f"/admin/collab/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content[:800]
    assert not await sync_to_async(lambda: User.objects.get(pk=user.pk).is_active)()

    frame, code = await closing(socket)
    assert (frame["event"], frame["data"]["reason"], code) == (
        "account.disabled", "account disabled", 4003)
    await assert_cannot_post(socket, conversation)


async def test_deletion(user, signals_only):
    socket = await open_socket(user)
    conversation = await sync_to_async(channel_of)(user)

    await sync_to_async(lambda: User.objects.get(pk=user.pk).delete())()

    frame, code = await closing(socket)
    assert (frame["event"], frame["data"]["reason"], code) == (
        "account.disabled", "account deleted", 4003)
    await assert_cannot_post(socket, conversation)


def _bulk_deactivate(user, key):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _bulk_password(user, key):
    User.objects.filter(pk=user.pk).update(password="pbkdf2_sha256$1$salt$written-by-a-script")


def _session_removed(user, key):
    Session.objects.filter(session_key=key).delete()


def _session_expired(user, key):
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))


# Changes no signal reports, with the closing event and reason each must bring.
SILENT_CHANGES = [
    pytest.param(_bulk_deactivate, "account.disabled", "account disabled", 4003,
                 id="update-is_active"),
    pytest.param(_bulk_password, "session.ended", "password changed", 4001,
                 id="update-password"),
    pytest.param(_session_removed, "session.ended", "session ended", 4001, id="session-removed"),
    pytest.param(_session_expired, "session.ended", "session ended", 4001, id="session-expired"),
]


@pytest.mark.parametrize(("change", "event", "reason", "code"), SILENT_CHANGES)
async def test_the_sweep_closes_sockets_no_signal_told(
    user_factory, quick_sweep, change, event, reason, code
):
    user = await sync_to_async(user_factory)()
    bystander = await sync_to_async(user_factory)(directorate=user.directorate)
    key, _ = await sync_to_async(session_cookie_for)(user)
    socket = await open_socket(user, key)
    other_tab = await open_socket(user, key)
    untouched = await open_socket(bystander)
    conversation = await sync_to_async(channel_of)(user)

    await sync_to_async(change)(user, key)

    for ended in (socket, other_tab):
        frame, close_code = await closing(ended)
        assert (frame["event"], frame["data"]["reason"], close_code) == (event, reason, code)
    await assert_cannot_post(socket, conversation)
    # Sweeps go on; a login that stands is left alone.
    assert await untouched.receive_nothing(timeout=0.6)
    await untouched.send_json_to({"action": "ping", "ref": 1, "data": {}})
    reply = json.loads(await untouched.receive_from(timeout=5))
    assert reply == {"type": "reply", "action": "ping", "data": {}, "ref": 1}
    await untouched.disconnect()


@pytest.mark.parametrize(("change", "event", "reason", "code"), SILENT_CHANGES)
async def test_an_action_after_a_silent_change_is_refused_at_once(
    user, signals_only, change, event, reason, code
):
    key, _ = await sync_to_async(session_cookie_for)(user)
    socket = await open_socket(user, key)
    conversation = await sync_to_async(channel_of)(user)
    await sync_to_async(change)(user, key)

    # No signal and no sweep: the send itself finds the login ended.
    await socket.send_json_to(
        {"action": "chat.send", "ref": "x", "data": {"conversation": conversation, "body": "hi"}}
    )
    frame, close_code = await closing(socket, timeout=5)
    assert (frame["event"], frame["data"]["reason"], close_code) == (event, reason, code)
    assert await sync_to_async(stored_messages)(conversation) == 0
    await assert_cannot_post(socket, conversation)


def test_one_batch_checks_every_login(user_factory, django_assert_num_queries):
    """The sweep's check costs two queries (users, sessions) however many sockets."""
    users = [user_factory() for _ in range(4)]
    logins = []
    for someone in users:
        for _ in range(2):
            key, _ = session_cookie_for(someone)
            logins.append(session_guard.Login(key, someone.pk))
    fine, disabled, deleted, changed = users
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    User.objects.filter(pk=changed.pk).update(password="pbkdf2_sha256$1$salt$other")
    deleted.delete()
    gone = logins[1]  # one of the two sessions of the user still fine
    Session.objects.filter(session_key=gone.session_key).delete()

    with django_assert_num_queries(2):
        ended = session_guard.check_many(logins)

    assert {login: e.reason for login, e in ended.items()} == {
        gone: "session ended",
        logins[2]: "account disabled", logins[3]: "account disabled",
        logins[4]: "account deleted", logins[5]: "account deleted",
        logins[6]: "password changed", logins[7]: "password changed",
    }


def test_a_session_of_someone_else_does_not_stand(user_factory):
    """A socket's login names its user: another user's valid session is not it."""
    alice, bob = user_factory(), user_factory()
    key, _ = session_cookie_for(alice)
    ended = session_guard.check_many([session_guard.Login(key, bob.pk)])
    assert ended[session_guard.Login(key, bob.pk)].reason == "session ended"
    assert session_guard.check_many([session_guard.Login(key, alice.pk)]) == {}


def test_a_sweep_sees_changes_made_since_the_previous_one(user_factory):
    """The sweeper's memo of decoded sessions and hashes never hides a change."""
    alice, bob, carol = user_factory(), user_factory(), user_factory()
    logins = [session_guard.Login(session_cookie_for(u)[0], u.pk) for u in (alice, bob, carol)]
    memo = session_guard.Memo()
    assert session_guard.check_many(logins, memo) == {}
    assert session_guard.check_many(logins, memo) == {}  # from the memo now

    User.objects.filter(pk=alice.pk).update(password="pbkdf2_sha256$1$salt$other")
    # bob's session rewritten under the same key for someone else (its text changes).
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore(session_key=logins[1].session_key)
    session["_auth_user_id"] = str(carol.pk)
    session.save()
    ended = session_guard.check_many(logins, memo)
    assert {login.user_id: e.reason for login, e in ended.items()} == {
        alice.pk: "password changed", bob.pk: "session ended",
    }


def test_an_actions_check_of_one_login_agrees_with_the_sweep_in_one_query(
    user_factory, django_assert_num_queries
):
    """Every socket action checks its login with ``check``: one query, the
    same verdicts as the sweep's batch."""
    fine, disabled, deleted, changed, alien = (user_factory() for _ in range(5))
    logins = [session_guard.Login(session_cookie_for(u)[0], u.pk)
              for u in (fine, fine, disabled, deleted, changed)]
    logins.append(session_guard.Login(session_cookie_for(alien)[0], fine.pk))
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    User.objects.filter(pk=changed.pk).update(password="pbkdf2_sha256$1$salt$other")
    deleted.delete()
    Session.objects.filter(session_key=logins[1].session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1))

    verdicts = []
    for login in logins:
        with django_assert_num_queries(1):
            try:
                session_guard.check(login)
                verdicts.append(None)
            except session_guard.LoginEnded as exc:
                verdicts.append(exc.ended.reason)
    batch = session_guard.check_many(logins)
    assert verdicts == [batch[login].reason if login in batch else None for login in logins]
    assert verdicts == [None, "session ended", "account disabled", "account deleted",
                        "password changed", "session ended"]
