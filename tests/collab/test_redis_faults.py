"""Redis stopped and started again under two real Daphne workers.

Our own redis-server (tests.multiproc.RedisServer), never the shared one.
While it is down: writes are stored and answered (events are lost, clients
resync), a new socket is accepted and closed with 4503 so the client retries
(never an HTTP 500), and each worker logs the outage in one line, not a
traceback per event. When it is back: the socket opened before the outage
receives live events again, new sockets open, and one line says so.
"""

from __future__ import annotations

import asyncio
import json
import shutil

import pytest
import websockets
from asgiref.sync import sync_to_async
from websockets.exceptions import ConnectionClosed

from tests import multiproc
from tests.collab.test_multiprocess import http_session, login_cookie, open_socket, post_form
from tests.conftest import IN_CI

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis_pair(transactional_db, settings, tmp_path):
    from django.db import connection

    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (needed for a private Redis)")
        pytest.skip("needs the redis-server binary for a private Redis")
    redis = multiproc.RedisServer(tmp_path).start()
    try:
        with multiproc.shared_test_database(connection, tmp_path) as database_url:
            env = multiproc.worker_env(
                database_url=database_url, redis_url=redis.url,
                prefix=multiproc.unique_prefix("rf"), secret_key=settings.SECRET_KEY,
                var_dir=tmp_path / "var", LOG_LEVEL="INFO",
            )
            workers = multiproc.start_daphnes(env, 2, "redis-faults-", log_dir=tmp_path)
            try:
                yield redis, workers
            finally:
                for worker in workers:
                    worker.close()
    finally:
        redis.stop()


async def handshake(worker, session_key: str) -> tuple[str, int | None]:
    """("hello", None) when the socket opened, ("closed", code) when it was turned away."""
    try:
        async with websockets.connect(
            worker.ws_url, origin=worker.origin, open_timeout=10,
            additional_headers={"Cookie": f"sessionid={session_key}"},
        ) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 10))["type"], None
    except ConnectionClosed as closed:
        return "closed", closed.rcvd.code if closed.rcvd else None


async def read_events(socket, name: str, timeout: float) -> list[dict]:
    """Every event ``name`` arriving within ``timeout`` seconds."""
    found = []

    async def collect():
        while True:
            frame = json.loads(await socket.recv())
            if frame.get("type") == "event" and frame["event"] == name:
                found.append(frame["data"])

    try:
        await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        pass
    return found


async def test_redis_outage_under_two_workers(own_redis_pair, user_factory):
    redis, (first, second) = own_redis_pair
    user = await sync_to_async(user_factory)()
    session_key = await sync_to_async(login_cookie)(user)
    socket, _ = await open_socket(first, session_key)
    client = await asyncio.to_thread(http_session, second, session_key)
    try:
        read_all = lambda: post_form(client, second, "/notifications/read-all/")  # noqa: E731

        assert (await asyncio.to_thread(read_all)).status_code == 302
        assert await read_events(socket, "notification.read", 3)

        redis.stop()
        for _ in range(3):  # stored and answered; the events cannot go out
            assert (await asyncio.to_thread(read_all)).status_code == 302
        for _ in range(2):
            assert await handshake(first, session_key) == ("closed", 4503)

        redis.start()
        # The socket that stayed open gets live events again once the layer
        # has reconnected (the client resyncs what it missed meanwhile).
        for _ in range(20):
            assert (await asyncio.to_thread(read_all)).status_code == 302
            if await read_events(socket, "notification.read", 1):
                break
        else:
            raise AssertionError("live events did not resume on the open socket")
        assert await handshake(first, session_key) == ("hello", None)
    finally:
        await socket.close()
        client.close()

    for worker in (first, second):
        log = worker.log_path.read_text()
        assert "Traceback" not in log, log[-4000:]
        assert log.count("channel layer (Redis) unavailable") == 1, log[-4000:]
        assert log.count("channel layer (Redis) available again") == 1, log[-4000:]


async def test_core_layer_handshake_with_redis_down_is_closed_with_4503(settings, user_factory):
    # The core layer opens no connection for a new channel: the handshake
    # meets the outage at group_add, after the user was loaded.
    from tests.conftest import connect_socket

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{
                "address": f"redis://127.0.0.1:{multiproc.free_port()}/0",  # nothing listens
                "socket_connect_timeout": 1,
            }]},
        }
    }
    user = await sync_to_async(user_factory)()
    communicator, connected, _code = await connect_socket(user)
    try:
        assert connected  # accepted, then at once:
        closing = await communicator.receive_output(timeout=5)
        assert closing == {"type": "websocket.close", "code": 4503}
    finally:
        await communicator.wait()
        from collab import faults

        faults.CHANNEL_LAYER.ok()  # this process's outage state, for the next tests
