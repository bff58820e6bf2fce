"""PostgreSQL down, hanging or restarted, under a real Daphne worker.

The worker reaches the test database through a TCP proxy (tests.multiproc.
TcpProxy) that the test cuts, closes or makes hang: real faults on the wire,
while the machine's PostgreSQL itself keeps running for everyone else.

- down or hanging: a page answers 503 with a page in the request's language
  (not a 500 after several connection timeouts), a socket handshake is
  accepted and closed with 4503 so the client retries (not an HTTP 500);
- restarted (every pooled connection cut): no page fails afterwards, the
  first dead connection a page meets has the pool replace all of them.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async
from django.test import Client
from websockets.exceptions import ConnectionClosed

from tests import multiproc
from tests.conftest import IN_CI, redis_url_or_skip

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

# A page must answer well before this (the connect timeout is 5 s); without
# the fix it took about 50 s. The client gives up here so a regression fails.
CLIENT_TIMEOUT = 20


@pytest.fixture
def proxied_worker(transactional_db, settings, tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("the database fault tests need PostgreSQL in CI")
        pytest.skip("needs PostgreSQL (set DATABASE_URL): SQLite has no server to lose")
    db = connection.settings_dict
    proxy = multiproc.TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    try:
        proxied = multiproc.database_url({**db, "HOST": "127.0.0.1", "PORT": proxy.port})
        env = multiproc.worker_env(
            database_url=proxied, redis_url=redis_url_or_skip(),
            prefix=multiproc.unique_prefix("dbf"), secret_key=settings.SECRET_KEY,
            var_dir=tmp_path / "var",
        )
        worker = multiproc.start_daphne(env, tmp_path, "db-faults")
        try:
            yield proxy, worker
        finally:
            worker.close()
    finally:
        proxy.close()


def login_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def get(worker, session_key: str, language: str | None = None, htmx=False) -> httpx.Response:
    cookies = {"sessionid": session_key}
    if language:
        cookies["django_language"] = language
    return httpx.get(
        f"{worker.http_url}/notifications/", cookies=cookies, timeout=CLIENT_TIMEOUT,
        headers={"HX-Request": "true"} if htmx else {},
    )


def pages(worker, session_key: str, count: int, parallel: int) -> list[int]:
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda _: get(worker, session_key).status_code, range(count)))


async def handshake(worker, session_key: str) -> tuple[str, int | None]:
    """("hello", None) when the socket opened, ("closed", code) when it was turned away."""
    try:
        async with websockets.connect(
            worker.ws_url, origin=worker.origin, open_timeout=CLIENT_TIMEOUT,
            additional_headers={"Cookie": f"sessionid={session_key}"},
        ) as socket:
            frame = json.loads(await asyncio.wait_for(socket.recv(), CLIENT_TIMEOUT))
            return frame["type"], None
    except ConnectionClosed as closed:
        return "closed", closed.rcvd.code if closed.rcvd else None


def assert_unavailable(response: httpx.Response, words: str) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"]
    assert words in response.text


async def test_database_down_hanging_and_restarted(proxied_worker, user_factory):
    proxy, worker = proxied_worker
    user = await sync_to_async(user_factory)(preferred_language="fr")
    session_key = await sync_to_async(login_cookie)(user)

    # Several requests at once: the pool holds several connections.
    assert await asyncio.to_thread(pages, worker, session_key, 16, 8) == [200] * 16
    assert await handshake(worker, session_key) == ("hello", None)

    # A restart: every pooled connection dies, the server is back at once.
    # One page after the other, then several at once.
    proxy.cut()
    assert await asyncio.to_thread(pages, worker, session_key, 8, 1) == [200] * 8
    assert await handshake(worker, session_key) == ("hello", None)
    assert await asyncio.to_thread(pages, worker, session_key, 16, 8) == [200] * 16
    proxy.cut()
    assert await asyncio.to_thread(pages, worker, session_key, 16, 8) == [200] * 16

    # Down (connection refused), then hanging (connections never answered).
    for fault in (proxy.refuse, proxy.hang):
        fault()
        # The account (and its language) is out of reach: the request's language counts.
        page = await asyncio.to_thread(get, worker, session_key, "fr")
        assert_unavailable(page, "Service temporairement indisponible")
        page = await asyncio.to_thread(get, worker, session_key)
        assert_unavailable(page, "الخدمة غير متاحة مؤقتا")
        # htmx swaps no 503: the page is told by an event it shows (collab.js).
        partial = await asyncio.to_thread(get, worker, session_key, "fr", htmx=True)
        assert partial.status_code == 503
        told = json.loads(partial.headers["HX-Trigger"])["collab:unavailable"]["message"]
        assert told.startswith("L’intranet ne parvient pas à joindre sa base de données")
        assert await handshake(worker, session_key) == ("closed", 4503)

    proxy.forward()
    assert await asyncio.to_thread(pages, worker, session_key, 16, 8) == [200] * 16
    assert await handshake(worker, session_key) == ("hello", None)

    # One line when the outage began, one when it ended; no traceback per request.
    log = worker.log_path.read_text()
    assert log.count("database unavailable") == 1, log[-3000:]
    assert log.count("database available again") == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
