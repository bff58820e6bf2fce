"""/healthz: 200 when database, channel layer and file store work, 503 naming
the part that does not, and an answer within seconds even when a backend
accepts connections but never replies."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from django.db import connection

from tests.conftest import redis_channel_layers
from tests.files.conftest import use_s3_settings
from tests.multiproc import free_port

ROOT = Path(__file__).resolve().parents[2]
# Each check waits at most a few seconds (collab/health.py); a hung backend
# must not hold the request much longer than that.
BOUND = 10


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture
def silent_port():
    """A loopback port that accepts TCP connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield server.getsockname()[1]
    server.close()


def use_s3(settings, endpoint, bucket="collab-health"):
    settings.FILE_STORE = "s3"
    settings.S3_ENDPOINT = endpoint
    settings.S3_ACCESS_KEY = "testing"
    settings.S3_SECRET_KEY = "testing"
    settings.S3_BUCKET = bucket
    settings.S3_SECURE = False
    settings.S3_REGION = "us-east-1"


def healthz(client):
    started = time.monotonic()
    response = client.get("/healthz")
    return response, response.json(), time.monotonic() - started


def assert_only_down(body, part):
    assert body["status"] == "degraded"
    for name in ("database", "channel_layer", "file_store"):
        assert body[name]["ok"] is (name != part), body
    assert body[part]["error"]


@pytest.mark.django_db
def test_all_parts_ok_on_configured_backends(client, settings):
    response, body, _ = healthz(client)
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "backend": connection.vendor}
    layer = get_channel_layer().__class__.__name__
    assert body["channel_layer"] == {"ok": True, "backend": layer}
    if os.environ.get("REDIS_URL"):
        assert layer == "RedisPubSubLayer"
    assert body["file_store"] == {"ok": True, "backend": settings.FILE_STORE}
    # The local store really took a write (and cleaned up after itself).
    if settings.FILE_STORE == "local":
        assert not list(Path(settings.FILE_STORE_DIR).glob(".healthz-*"))


@pytest.mark.django_db
def test_healthz_needs_no_login_and_no_https_redirect(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def redis_layer(settings, url):
    settings.CHANNEL_LAYERS = redis_channel_layers(url)


@pytest.mark.django_db
def test_channel_layer_down_when_redis_refuses(client, settings, closed_port):
    redis_layer(settings, f"redis://127.0.0.1:{closed_port}/0")
    response, body, elapsed = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "channel_layer")
    assert body["channel_layer"]["backend"] == "RedisPubSubLayer"
    assert body["channel_layer"]["error"] == "ConnectionError"
    assert elapsed < BOUND


@pytest.mark.django_db
def test_channel_layer_down_when_redis_url_names_a_cluster_node(client, settings, tmp_path):
    # A redis:// URL the settings cannot tell from one server's: PING works,
    # but the layer cannot publish through a Cluster node.
    from tests import multiproc

    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary")
    node = multiproc.RedisServer(
        tmp_path, "--cluster-enabled", "yes", "--cluster-config-file", str(tmp_path / "nodes.conf")
    )
    while node.port + 10000 > 65535:  # a cluster node also listens on its port + 10000
        node.port = multiproc.free_port()
    node.start()
    try:
        redis_layer(settings, node.url)
        response, body, _elapsed = healthz(client)
    finally:
        node.stop()
    assert response.status_code == 503
    assert_only_down(body, "channel_layer")
    assert body["channel_layer"]["error"] == "UnsupportedRedisMode"


@pytest.mark.django_db
def test_channel_layer_down_when_redis_hangs(client, settings, silent_port):
    redis_layer(settings, f"redis://127.0.0.1:{silent_port}/0")
    response, body, elapsed = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "channel_layer")
    assert body["channel_layer"]["error"] == "TimeoutError"
    assert elapsed < BOUND


@pytest.mark.django_db
def test_core_layer_checked_on_its_own_hosts(client, settings, closed_port):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": f"redis://127.0.0.1:{closed_port}/0", "max_connections": 500}]
            },
        }
    }
    response, body, _ = healthz(client)
    assert response.status_code == 503
    assert body["channel_layer"]["backend"] == "RedisChannelLayer"
    assert body["channel_layer"]["ok"] is False


@pytest.mark.django_db
def test_local_file_store_down_when_unwritable(client, settings, tmp_path):
    # A regular file where the store's parent directory should be: no user,
    # root included, can create the store there.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.FILE_STORE = "local"
    settings.FILE_STORE_DIR = blocker / "files"
    response, body, _ = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "file_store")
    assert body["file_store"]["backend"] == "local"


@pytest.mark.django_db
def test_s3_file_store_ok_with_bucket(client, settings, s3_server):
    bucket = use_s3_settings(settings, s3_server)
    s3_server.client().make_bucket(bucket)
    response, body, _ = healthz(client)
    assert response.status_code == 200, body
    assert body["file_store"] == {"ok": True, "backend": "s3"}


@pytest.mark.django_db
def test_s3_file_store_down_without_bucket(client, settings, s3_server):
    use_s3_settings(settings, s3_server, bucket="never-created")
    response, body, _ = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "file_store")
    assert body["file_store"]["error"] == "LookupError"


@pytest.mark.django_db
def test_s3_file_store_down_when_endpoint_refuses(client, settings, closed_port):
    use_s3(settings, f"127.0.0.1:{closed_port}")
    response, body, elapsed = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "file_store")
    # The store's own client would retry five times with back-off.
    assert elapsed < 3


@pytest.mark.django_db
def test_s3_file_store_down_when_endpoint_hangs(client, settings, silent_port):
    use_s3(settings, f"127.0.0.1:{silent_port}")
    response, body, elapsed = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "file_store")
    assert elapsed < BOUND


HEALTHZ_SCRIPT = """
import json, time, django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client(HTTP_HOST="localhost").get("/healthz")
print(json.dumps({"status": response.status_code, "body": response.json(),
                  "elapsed": time.monotonic() - started}))
"""


def healthz_in_process(tmp_path, **env_changes) -> dict:
    """/healthz in a fresh process whose settings come from ``env_changes``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "S3_", "COLLAB_", "CHANNEL_LAYER", "PYTEST"))
        and key not in {"DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    }
    env.update(DJANGO_SETTINGS_MODULE="collab.settings", COLLAB_VAR_DIR=str(tmp_path / "var"))
    env.update(env_changes)
    result = subprocess.run(
        [sys.executable, "-c", HEALTHZ_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_database_down_when_postgres_refuses(tmp_path, closed_port):
    report = healthz_in_process(
        tmp_path, DATABASE_URL=f"postgres://collab@127.0.0.1:{closed_port}/collab"
    )
    assert report["status"] == 503
    assert_only_down(report["body"], "database")
    assert report["body"]["database"] == {
        "ok": False,
        "backend": "postgresql",
        "error": "OperationalError",
    }


def test_database_down_when_postgres_hangs(tmp_path, silent_port):
    report = healthz_in_process(
        tmp_path,
        DATABASE_URL=f"postgres://collab@127.0.0.1:{silent_port}/collab",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    assert report["status"] == 503
    assert_only_down(report["body"], "database")
    assert report["elapsed"] < BOUND


def test_database_down_when_sqlite_cannot_open(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    report = healthz_in_process(tmp_path, DATABASE_URL=f"sqlite:///{blocker}/collab.sqlite3")
    assert report["status"] == 503
    assert_only_down(report["body"], "database")
    assert report["body"]["database"]["backend"] == "sqlite"


# Two requests: outside a test transaction, which a pooled connection closed
# by the first request could not be reopened in.
@pytest.mark.django_db(transaction=True)
def test_s3_file_store_degraded_while_the_bucket_is_public(client, settings, s3_server):
    """A bucket anyone may read bypasses every permission check: /healthz
    says so, and the store's preparation at start makes it private again."""
    from files import storage

    bucket = use_s3_settings(settings, s3_server)
    admin = s3_server.client()
    admin.make_bucket(bucket)
    admin.set_bucket_policy(bucket, json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
                       "Resource": [f"arn:aws:s3:::{bucket}/*"]}],
    }))
    response, body, _ = healthz(client)
    assert response.status_code == 503
    assert_only_down(body, "file_store")
    assert body["file_store"]["error"] == "PublicBucket"
    storage.get_file_store.cache_clear()
    try:
        storage.prepare_file_store()  # what the application does at start (files/asgi.py)
    finally:
        storage.get_file_store.cache_clear()
    response, body, _ = healthz(client)
    assert response.status_code == 200, body
    assert body["file_store"] == {"ok": True, "backend": "s3"}
