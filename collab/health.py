"""Liveness of the parts the intranet cannot work without."""

from __future__ import annotations

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "backend": connection.vendor}
    except Exception as exc:
        return {"ok": False, "backend": connection.vendor, "error": exc.__class__.__name__}


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    backend = layer.__class__.__name__ if layer else None
    try:
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            )
            try:
                client.ping()
            finally:
                client.close()
        else:
            async_to_sync(_round_trip)(layer)
        return {"ok": True, "backend": backend}
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


async def _round_trip(layer) -> None:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.check"})
    await asyncio.wait_for(layer.receive(channel), timeout=2)


def check_file_store() -> dict:
    from files.storage import get_file_store

    store = get_file_store()
    try:
        store.check()
        return {"ok": True, "backend": store.name}
    except Exception as exc:
        return {"ok": False, "backend": store.name, "error": exc.__class__.__name__}


def check_all() -> dict:
    return {
        "database": check_database(),
        "channel_layer": check_channel_layer(),
        "file_store": check_file_store(),
    }
