"""Two real Daphne workers sharing Redis and the database, as in production.

A browser-like client (``websockets`` with Origin and the session cookie)
holds a socket on worker #1 while the events that concern it are caused in
this process or through HTTP on worker #2.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


def login_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def open_socket(worker, session_key: str):
    socket = await websockets.connect(
        worker.ws_url,
        origin=worker.origin,
        additional_headers={"Cookie": f"sessionid={session_key}"},
        open_timeout=10,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello"
    return socket, hello


async def next_event(socket, name: str, timeout: float = 10) -> dict:
    """The next frame carrying event ``name``, skipping others (e.g. replies)."""

    async def wait():
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") == "event" and frame["event"] == name:
                return frame["data"]

    return await asyncio.wait_for(wait(), timeout)


async def wait_closed(socket, timeout: float = 10) -> int:
    async def drain():
        try:
            while True:
                await socket.recv()
        except ConnectionClosed:
            return socket.close_code

    return await asyncio.wait_for(drain(), timeout)


def http_session(worker, session_key: str) -> httpx.Client:
    """An httpx client logged in on ``worker`` holding the CSRF cookie a page gave it."""
    client = httpx.Client(base_url=worker.http_url, timeout=10)
    client.cookies.set("sessionid", session_key)
    page = client.get("/notifications/")
    assert page.status_code == 200, page.text[:500]
    assert client.cookies.get("csrftoken"), "the page set no CSRF cookie"
    return client


def post_form(client: httpx.Client, worker, path: str) -> httpx.Response:
    return client.post(
        path,
        data={"csrfmiddlewaretoken": client.cookies["csrftoken"]},
        headers={"Origin": worker.origin, "Referer": f"{worker.http_url}/notifications/"},
    )


@pytest.fixture
async def flush_layer():
    yield
    # The test process's Redis connections belong to this test's event loop.
    layer = get_channel_layer()
    if hasattr(layer, "flush"):
        await layer.flush()


# Both Redis layers the settings offer (CHANNEL_LAYER_BACKEND) carry events across workers.
@pytest.mark.parametrize("live_daphne_pair", ["pubsub", "core"], indirect=True)
async def test_notifications_cross_workers(live_daphne_pair, user_factory, flush_layer):
    from collab.models import Notification
    from collab.services import notify

    first, second = live_daphne_pair
    recipient = await sync_to_async(user_factory)()
    bystander = await sync_to_async(user_factory)()
    session_key = await sync_to_async(login_cookie)(recipient)
    socket, hello = await open_socket(first, session_key)
    other_socket, _ = await open_socket(second, await sync_to_async(login_cookie)(bystander))
    try:
        assert hello["user"]["id"] == recipient.pk
        assert hello["unread"] == 0

        # (a) published in this process, delivered by worker #1 through Redis.
        notification = await sync_to_async(notify)(
            recipient, kind="test", title="Réunion à 10 h", body="Salle B"
        )
        created = await next_event(socket, "notification.created")
        assert created["id"] == notification.pk
        assert created["title"] == "Réunion à 10 h"
        assert created["unread"] == 1
        assert f"notif-{notification.pk}" in created["html"]

        # (b) marked read over HTTP on worker #2, announced on worker #1.
        client = await sync_to_async(http_session)(second, session_key)
        try:
            response = await sync_to_async(post_form)(
                client, second, f"/notifications/{notification.pk}/read/"
            )
        finally:
            client.close()
        assert response.status_code == 302, response.text[:500]
        read = await next_event(socket, "notification.read")
        assert read == {"ids": [notification.pk], "unread": 0}
        stored = await Notification.objects.aget(pk=notification.pk)
        assert stored.read_at is not None

        # The other user's socket heard none of it: ping it and get only the reply.
        await other_socket.send(json.dumps({"action": "ping", "ref": 1}))
        frame = json.loads(await asyncio.wait_for(other_socket.recv(), 10))
        assert frame == {"type": "reply", "action": "ping", "data": {}, "ref": 1}
    finally:
        await socket.close()
        await other_socket.close()


async def test_logout_on_one_worker_closes_socket_on_the_other(
    live_daphne_pair, user, flush_layer
):
    first, second = live_daphne_pair
    session_key = await sync_to_async(login_cookie)(user)
    socket, _ = await open_socket(first, session_key)
    client = await sync_to_async(http_session)(second, session_key)
    try:
        response = await sync_to_async(post_form)(client, second, "/logout/")
        assert response.status_code == 302, response.text[:500]
    finally:
        client.close()
    ended = await next_event(socket, "session.ended")
    assert ended == {"reason": "logout"}
    assert await wait_closed(socket) == 4001
    # The session is gone: the same cookie cannot open a socket any more.
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            first.ws_url,
            origin=first.origin,
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


async def test_deactivation_closes_sockets_and_refuses_reconnect(
    live_daphne_pair, user, flush_layer
):
    first, second = live_daphne_pair
    session_key = await sync_to_async(login_cookie)(user)
    socket_one, _ = await open_socket(first, session_key)
    socket_two, _ = await open_socket(second, session_key)

    def deactivate():
        user.is_active = False
        user.save()

    await sync_to_async(deactivate)()
    for socket in (socket_one, socket_two):
        assert await next_event(socket, "account.disabled") == {"reason": "account disabled"}
        assert await wait_closed(socket) == 4003
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            first.ws_url,
            origin=first.origin,
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


async def test_each_worker_sweeps_sockets_whose_login_ended_silently(
    live_daphne_pair, user_factory, flush_layer
):
    """Bulk updates fire no signal: each worker's periodic sweep finds them."""
    from collab.models import User

    first, second = live_daphne_pair
    disabled, changed, fine = [await sync_to_async(user_factory)() for _ in range(3)]
    disabled_key = await sync_to_async(login_cookie)(disabled)
    disabled_sockets = [(await open_socket(w, disabled_key))[0] for w in (first, second)]
    changed_socket, _ = await open_socket(second, await sync_to_async(login_cookie)(changed))
    fine_socket, _ = await open_socket(first, await sync_to_async(login_cookie)(fine))

    def bulk_changes():
        User.objects.filter(pk=disabled.pk).update(is_active=False)
        User.objects.filter(pk=changed.pk).update(password="pbkdf2_sha256$1$salt$by-a-script")

    await sync_to_async(bulk_changes)()
    try:
        for socket in disabled_sockets:
            ended = await next_event(socket, "account.disabled", timeout=30)
            assert ended == {"reason": "account disabled"}
            assert await wait_closed(socket) == 4003
        ended = await next_event(changed_socket, "session.ended", timeout=30)
        assert ended == {"reason": "password changed"}
        assert await wait_closed(changed_socket) == 4001
        # The sweep that closed the others left a standing login open.
        await fine_socket.send(json.dumps({"action": "ping", "ref": 1, "data": {}}))
        frame = json.loads(await asyncio.wait_for(fine_socket.recv(), 10))
        assert frame == {"type": "reply", "action": "ping", "data": {}, "ref": 1}
    finally:
        await fine_socket.close()


async def test_foreign_origin_refused_by_worker(live_daphne_pair, user, flush_layer):
    first, _ = live_daphne_pair
    session_key = await sync_to_async(login_cookie)(user)
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            first.ws_url,
            origin="http://evil.example",
            additional_headers={"Cookie": f"sessionid={session_key}"},
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403
