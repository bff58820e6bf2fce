"""Fixtures for the files app: both stores (S3 on the session's SeaweedFS), clamd."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pytest

from files.storage import LocalFileStore, S3FileStore
from tests.multiproc import stop_process

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def make_s3_store(server, bucket=None) -> S3FileStore:
    """A store on ``server`` (tests/multiproc.py SeaweedFS) in a bucket of its own."""
    return S3FileStore(
        server.endpoint,
        server.access_key,
        server.secret_key,
        bucket or f"files-{uuid.uuid4().hex[:12]}",
        region="us-east-1",
    )


def use_s3_settings(settings, server, bucket=None) -> str:
    """Point the settings at ``server``, in a new bucket unless one is given."""
    bucket = bucket or f"files-{uuid.uuid4().hex[:12]}"
    settings.FILE_STORE = "s3"
    settings.S3_ENDPOINT = server.endpoint
    settings.S3_ACCESS_KEY = server.access_key
    settings.S3_SECRET_KEY = server.secret_key
    settings.S3_BUCKET = bucket
    settings.S3_SECURE = False
    settings.S3_REGION = "us-east-1"
    return bucket


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path):
    """Each store implementation in turn: the same suite runs against both."""
    if request.param == "local":
        return LocalFileStore(tmp_path / "store")
    return make_s3_store(request.getfixturevalue("s3_server"))


@pytest.fixture(params=["local", "s3"])
def app_store(request, tmp_path, settings, monkeypatch):
    """Make the application use one store implementation for this test."""
    from files import storage

    if request.param == "local":
        store = LocalFileStore(tmp_path / "store")
    else:
        store = make_s3_store(request.getfixturevalue("s3_server"))
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    return store


def unfinished_uploads(store) -> list:
    """Multipart uploads begun and neither completed nor aborted (S3 only)."""
    if isinstance(store, S3FileStore):
        return store.abandoned_uploads(datetime.timedelta(0))
    return []


@pytest.fixture
def local_store(tmp_path, monkeypatch):
    from files import storage

    store = LocalFileStore(tmp_path / "store")
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    return store


EICAR = (
    b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
)


@pytest.fixture(scope="session")
def clamd_socket():
    """A private clamd whose only signature is the EICAR string's MD5 (TRAPS:
    the public feed cannot be downloaded here). Installed by
    `make system-deps-test` (Debian clamav-daemon)."""
    import hashlib

    clamd = shutil.which("clamd") or "/usr/sbin/clamd"
    if not Path(clamd).exists():
        pytest.fail("clamd is missing: run `make system-deps-test` (Debian clamav-daemon)")
    workdir = Path(tempfile.mkdtemp(prefix="clamd-"))
    db = workdir / "db"
    db.mkdir()
    (db / "test.hdb").write_text(f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:Eicar-Test-Sig\n")
    sock = workdir / "clamd.sock"
    conf = workdir / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                f"LocalSocket {sock}",
                f"DatabaseDirectory {db}",
                "Foreground yes",
                f"PidFile {workdir / 'clamd.pid'}",
                f"TemporaryDirectory {workdir}",
                # Its own log file: clamd locks it, so a shared /dev/null makes a
                # second clamd (another test run on the machine) fail to start.
                f"LogFile {workdir / 'clamd.log'}",
                "StreamMaxLength 2M",
                "MaxFileSize 1M",
                "MaxScanSize 1M",
                "AlertExceedsMax yes",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        conf.write_text(conf.read_text() + "User root\n")
    process = subprocess.Popen(
        [clamd, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not sock.exists():
        if process.poll() is not None:
            raise RuntimeError("clamd died: " + process.stderr.read().decode()[-2000:])
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("clamd did not start")
        time.sleep(0.2)
    yield str(sock)
    stop_process(process)
    shutil.rmtree(workdir, ignore_errors=True)


# ---- Uploading through the real ASGI application ----------------------------


class Uploader:
    """POSTs to /upload/ through asgi.application as a signed-in user."""

    def __init__(self, user):
        from django.http import HttpRequest
        from django.middleware.csrf import get_token
        from django.test import Client

        client = Client()
        client.force_login(user)
        self.session = client.cookies["sessionid"].value
        self.csrf = get_token(HttpRequest())  # also valid as the cookie
        self.user = user

    def __call__(
        self, body, name="file.bin", *, replace=None, csrf=True, chunked=False, origin=None,
        sha256=None,
    ):
        """``body``: bytes, or an async iterable of chunks (streamed as it is
        read); ``sha256``: sent as the declared X-Content-SHA256 header."""
        from asgiref.sync import async_to_sync

        return async_to_sync(self._post)(body, name, replace, csrf, chunked, origin, sha256)

    async def _post(self, body, name, replace, csrf, chunked, origin, sha256):
        from asgi import application

        params = {"name": name}
        if replace is not None:
            params["replace"] = str(replace)
        headers = {"host": "127.0.0.1"}
        if csrf:
            headers["X-CSRFToken"] = self.csrf
        if origin:
            headers["Origin"] = origin
        if sha256 is not None:
            headers["X-Content-SHA256"] = sha256
        cookies = {"sessionid": self.session, "csrftoken": self.csrf}
        content = body
        if chunked:
            # An async generator: no Content-Length, the size is only known at the end.
            async def stream():
                for start in range(0, len(body), 65536):
                    yield body[start : start + 65536]

            content = stream()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", cookies=cookies
        ) as client:
            return await client.post("/upload/", params=params, content=content, headers=headers)


@pytest.fixture
def uploader():
    return Uploader

