"""REDIS_URL naming a Redis Sentinel set: the layer works through the primary.

A real redis-server and a real Sentinel (redis-server --sentinel) of our own;
a Daphne worker configured with a redis+sentinel:// URL; an event published
in this process, through the same URL, reaches the socket held there.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import httpx
import pytest
from asgiref.sync import sync_to_async

from tests import multiproc
from tests.collab.test_multiprocess import login_cookie, next_event, open_socket
from tests.conftest import IN_CI

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]


def start_sentinel(workdir, primary_port: int) -> tuple[subprocess.Popen, int]:
    port = multiproc.free_port()
    config = workdir / "sentinel.conf"  # Sentinel rewrites its configuration file
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
        f"sentinel monitor collab 127.0.0.1 {primary_port} 1\n"
    )
    process = subprocess.Popen(
        [shutil.which("redis-server"), str(config), "--sentinel"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def knows_primary():
        with socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"SENTINEL get-master-addr-by-name collab\r\n")
            return str(primary_port).encode() in s.recv(128)

    multiproc.wait_for(knows_primary, what="redis sentinel")
    return process, port


@pytest.fixture
def sentinel_url(tmp_path):
    if shutil.which("redis-server") is None:
        if IN_CI:
            pytest.fail("redis-server is not installed (needed for a private Sentinel)")
        pytest.skip("needs the redis-server binary")
    primary = multiproc.RedisServer(tmp_path).start()
    try:
        sentinel, port = start_sentinel(tmp_path, primary.port)
        try:
            yield f"redis+sentinel://127.0.0.1:{port}/collab/0"
        finally:
            multiproc.stop_process(sentinel)
    finally:
        primary.stop()


async def test_sentinel_url_carries_events_between_processes(
    sentinel_url, settings, tmp_path, user_factory
):
    from django.db import connection

    from collab.services import notify
    from collab.settings import redis_layer_host

    prefix = multiproc.unique_prefix("sentinel")
    with multiproc.shared_test_database(connection, tmp_path) as database_url:
        env = multiproc.worker_env(
            database_url=database_url, redis_url=sentinel_url, prefix=prefix,
            secret_key=settings.SECRET_KEY, var_dir=tmp_path / "var",
        )
        worker = await asyncio.to_thread(multiproc.start_daphne, env, tmp_path, "sentinel")
        try:
            health = (await asyncio.to_thread(httpx.get, f"{worker.http_url}/healthz")).json()
            assert health["channel_layer"] == {"ok": True, "backend": "RedisPubSubLayer"}

            # This process publishes through the same Sentinel set.
            settings.CHANNEL_LAYERS = {"default": {
                "BACKEND": settings.CHANNEL_LAYER_CLASSES["pubsub"],
                "CONFIG": {"hosts": [redis_layer_host(sentinel_url)], "prefix": prefix},
            }}
            user = await sync_to_async(user_factory)()
            socket_, _ = await open_socket(worker, await sync_to_async(login_cookie)(user))
            try:
                await sync_to_async(notify)(user, kind="test", title="Via Sentinel", body="")
                created = await next_event(socket_, "notification.created")
                assert created["title"] == "Via Sentinel"
            finally:
                await socket_.close()
        finally:
            worker.close()
