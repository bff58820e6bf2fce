"""PostgreSQL connections under ASGI: taken from a pool, not opened per request.

Django's ASGI handler runs each request in a thread of its own, so without the
pool (settings.py) every page opened a new connection."""

from __future__ import annotations

import httpx
import pytest
from asgiref.sync import sync_to_async

pytestmark = pytest.mark.django_db(transaction=True)


async def test_page_requests_reuse_pooled_connections(user):
    from django.db import connection
    from django.test import Client

    from asgi import application

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (set DATABASE_URL): SQLite connections are not pooled")

    def connections_opened() -> int:
        assert connection.pool is not None, "PostgreSQL connections are not pooled"
        connection.ensure_connection()
        return connection.pool.get_stats()["connections_num"]

    client = Client()
    await sync_to_async(client.force_login)(user)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", cookies=cookies
    ) as http:
        assert (await http.get("/files/")).status_code == 200
        before = await sync_to_async(connections_opened)()
        for _ in range(6):
            assert (await http.get("/files/")).status_code == 200
        after = await sync_to_async(connections_opened)()
    assert after - before <= 1, (before, after)  # not one per request
