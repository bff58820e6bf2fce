"""Liveness of the parts the intranet cannot work without.

Every check is bounded in time (a few seconds at most) and reports what it
really tried: a probe write for a local store (``os.access`` says yes to root
whatever the permissions), a PING to each Redis host the channel layer uses,
a bucket lookup without retries for object storage.
"""

from __future__ import annotations

import asyncio
import os
import tempfile

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection

TIMEOUT = 2  # seconds per network operation


def check_database() -> dict:
    # The connect time is bounded by OPTIONS["connect_timeout"] (collab/settings.py).
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "backend": connection.vendor}
    except Exception as exc:
        return {"ok": False, "backend": connection.vendor, "error": exc.__class__.__name__}


def _redis_hosts() -> list[dict]:
    # The hosts the layer itself uses, so a check never pings another Redis.
    from collab.layers import host_entries

    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    return host_entries(config.get("hosts")) if config.get("hosts") else []


class UnsupportedRedisMode(Exception):
    """REDIS_URL names a Redis Cluster node or a Sentinel, not one Redis server."""


def check_channel_layer() -> dict:
    layer = get_channel_layer()
    backend = layer.__class__.__name__ if layer else None
    if layer is None:
        return {"ok": False, "backend": None, "error": "NoChannelLayer"}
    try:
        hosts = _redis_hosts()
        if hosts:
            from collab.layers import blocking_client

            for host in hosts:
                # A Sentinel set is asked for its primary, which is then pinged.
                client = blocking_client(
                    {**host, "socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT}
                )
                try:
                    client.ping()
                    mode = client.info("server").get("redis_mode", "standalone")
                finally:
                    client.close()
                if mode != "standalone":
                    # A Cluster node or a Sentinel answers PING, yet the layer
                    # cannot publish through it (settings refuse such URLs).
                    raise UnsupportedRedisMode(mode)
        else:
            async_to_sync(_round_trip)(layer)
        return {"ok": True, "backend": backend}
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


async def _round_trip(layer) -> None:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.check"})
    await asyncio.wait_for(layer.receive(channel), timeout=TIMEOUT)


def _probe_local(root) -> None:
    os.makedirs(root, exist_ok=True)
    # A real write: permission bits alone do not stop root, a full or read-only disk does.
    with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-") as probe:
        probe.write(b"ok")
        probe.flush()


def _probe_s3() -> None:
    import urllib3
    from minio import Minio

    # The store's own client retries five times with back-off and waits up to
    # five minutes per read: far too long for a health check.
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=TIMEOUT, read=TIMEOUT), retries=False
    )
    endpoint = settings.S3_ENDPOINT
    client = Minio(
        endpoint.removeprefix("http://").removeprefix("https://"),
        access_key=settings.S3_ACCESS_KEY,
        secret_key=settings.S3_SECRET_KEY,
        secure=settings.S3_SECURE or endpoint.startswith("https://"),
        region=settings.S3_REGION or None,
        http_client=http,
    )
    try:
        if not client.bucket_exists(settings.S3_BUCKET):
            raise LookupError(f"bucket {settings.S3_BUCKET} is missing")
        check_bucket_private(client, endpoint)
    finally:
        http.clear()


class PublicBucket(Exception):
    """Anyone may read or list the file store's bucket without signing in."""


def check_bucket_private(client, endpoint: str) -> None:
    """Raise PublicBucket unless the bucket is private: no policy statement
    lets anyone in, and an anonymous listing is refused. Files are only ever
    served after a permission check; a public bucket would bypass it."""
    import httpx
    from minio.error import S3Error

    from files.storage import public_statements

    bucket = settings.S3_BUCKET
    try:
        policy = client.get_bucket_policy(bucket)
    except S3Error as exc:
        if exc.code not in {"NoSuchBucketPolicy", "NoSuchPolicy"}:
            raise
        policy = ""
    if public_statements(policy):
        raise PublicBucket(f"the policy of bucket {bucket} lets anyone in")
    # What the server really does (an anonymous identity, for instance).
    secure = settings.S3_SECURE or endpoint.startswith("https://")
    base = endpoint if "://" in endpoint else ("https://" if secure else "http://") + endpoint
    answer = httpx.get(f"{base}/{bucket}?list-type=2&max-keys=1", timeout=TIMEOUT)
    if answer.status_code < 300:
        raise PublicBucket(f"bucket {bucket} can be listed without signing in")


def check_file_store() -> dict:
    backend = settings.FILE_STORE
    try:
        if backend == "s3":
            _probe_s3()
        else:
            _probe_local(settings.FILE_STORE_DIR)
        return {"ok": True, "backend": backend}
    except Exception as exc:
        return {"ok": False, "backend": backend, "error": exc.__class__.__name__}


def check_all() -> dict:
    return {
        "database": check_database(),
        "channel_layer": check_channel_layer(),
        "file_store": check_file_store(),
    }
