"""The quota holds under concurrency: 101 uploads at once from one user, through
the upload endpoint of a real uvicorn process (as in production) on the test
database, never store more than the quota together, whatever the mix of
declared sizes, streams of unknown length, wrong checksums and clients that
leave mid-upload. Each refusal says why, in the user's language; no hold, row
or object is left behind."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess

import httpx
import pytest
from django.db.models import Sum

from files.models import FileVersion, UploadReservation
from files.storage import LocalFileStore
from tests import multiproc
from tests.files.conftest import make_s3_store

QUOTA = 10 * 1024 * 1024
SIZE = 200 * 1024  # 101 of these: about twice the quota
UPLOADS = 101
NO_ROOM = "Pas assez d'espace"


@pytest.fixture(params=["local", "s3"])
def upload_server(request, transactional_db, tmp_path, settings):
    """uvicorn serving the app on the test database, with the local store or a
    bucket of its own on the session's real S3 server; (base URL, store)."""
    yield from _serve(request, tmp_path, settings, request.param)


@pytest.fixture
def two_connection_server(request, transactional_db, tmp_path, settings):
    """The same with the local store and a database pool of two connections."""
    yield from _serve(request, tmp_path, settings, "local", DATABASE_POOL_MAX_SIZE=2)


def _serve(request, tmp_path, settings, store_kind, **extra_env):
    from django.db import connection

    if store_kind == "local":
        store_env = {"FILE_STORE_DIR": tmp_path / "store"}
        store = LocalFileStore(tmp_path / "store")
    else:
        server = request.getfixturevalue("s3_server")
        store = make_s3_store(server)
        store_env = {"S3_ENDPOINT": server.endpoint, "S3_ACCESS_KEY": server.access_key,
                     "S3_SECRET_KEY": server.secret_key, "S3_BUCKET": store.bucket,
                     "S3_REGION": "us-east-1"}
    with multiproc.shared_test_database(connection, tmp_path) as database_url:
        env = multiproc.worker_env(
            database_url=database_url, redis_url=None, prefix=multiproc.unique_prefix(),
            secret_key=settings.SECRET_KEY, var_dir=tmp_path / "var",
            FILES_USER_QUOTA=QUOTA, FILES_SCAN_ENABLED="0", **store_env, **extra_env,
        )
        port = multiproc.free_port()
        log = (tmp_path / "uvicorn.log").open("wb")
        process = subprocess.Popen(
            [multiproc.PYTHON, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "asgi:application"],
            cwd=multiproc.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            multiproc.wait_for(
                lambda: httpx.get(base + "/healthz", timeout=2).status_code == 200,
                timeout=multiproc.START_TIMEOUT, what="uvicorn",
            )
            yield base, store
        finally:
            multiproc.stop_process(process)
            log.close()


def _body(index: int) -> bytes:
    return index.to_bytes(4, "big") + os.urandom(SIZE - 4)


async def _upload_all(base, cookies, csrf):
    """Every kind of upload at once; returns (kind, status, json) for each."""
    limits = httpx.Limits(max_connections=UPLOADS)
    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits,
                                 timeout=120) as client:

        async def one(index):
            body = _body(index)
            headers = {"X-CSRFToken": csrf}
            kind = ("bad-hash", "stream", "gone")[index % 5] if index % 5 < 3 else "declared"
            content = body
            if kind == "bad-hash":
                headers["X-Content-SHA256"] = hashlib.sha256(body + b"x").hexdigest()
            elif kind == "stream":  # no Content-Length: the size is known at the end only

                async def stream():
                    for start in range(0, SIZE, 32768):
                        yield body[start:start + 32768]
                        await asyncio.sleep(0)

                content = stream()
            elif kind == "gone":  # declares the size, sends half, then leaves
                headers["Content-Length"] = str(SIZE)

                async def stream():
                    yield body[: SIZE // 2]
                    await asyncio.sleep(0.05)
                    raise ConnectionAbortedError("client closed the tab")

                content = stream()
            try:
                response = await client.post("/upload/", params={"name": f"f{index}.bin"},
                                             content=content, headers=headers)
            except (ConnectionAbortedError, httpx.HTTPError):
                return kind, None, None
            return kind, response.status_code, response.json()

        return await asyncio.gather(*(one(i) for i in range(UPLOADS)))


def test_parallel_uploads_never_exceed_the_quota(upload_server, user):
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.test import Client

    base, store = upload_server
    user.preferred_language = "fr"
    user.save()
    client = Client()
    client.force_login(user)
    csrf = get_token(HttpRequest())  # also valid as the cookie
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}

    results = asyncio.run(_upload_all(base, cookies, csrf))

    stored = FileVersion.objects.filter(file__owner=user).aggregate(total=Sum("size"))["total"]
    accepted = [r for r in results if r[1] == 200]
    refused = [r for r in results if r[1] == 413]
    assert stored is not None and stored <= QUOTA, (stored, len(accepted))
    assert stored == SIZE * len(accepted)
    assert {kind for kind, *_ in accepted} == {"declared", "stream"}
    assert refused, "twice the quota was offered: some uploads must have been refused"
    for kind, status, data in results:
        if kind == "gone":
            assert status != 200
        elif kind == "bad-hash":
            # The checksum, or the quota if there was no room to start with.
            assert status in (400, 413), (status, data)
            if status == 400:
                assert "endommagé" in data["error"] or "modifié" in data["error"], data
        else:
            assert status in (200, 413), (kind, status, data)
    for _kind, _status, data in refused:
        assert not data["ok"] and NO_ROOM in data["error"], data

    # Nothing held once every upload has ended (a client that left is noticed
    # by the server a little later), no orphan object, no temporary one.
    multiproc.wait_for(lambda: not UploadReservation.objects.exists(), timeout=30,
                       what="every quota hold released")
    keys = set(FileVersion.objects.values_list("blob_key", flat=True))
    assert set(store.keys()) == keys

    # Nothing leaked: exactly what is left can still be uploaded, one byte more cannot.
    left = QUOTA - stored
    uploaded = httpx.post(f"{base}/upload/", params={"name": "rest.bin"}, cookies=cookies,
                          headers={"X-CSRFToken": csrf}, content=b"z" * (left + 1), timeout=60)
    assert uploaded.status_code == 413 and NO_ROOM in uploaded.json()["error"]
    if left:
        uploaded = httpx.post(f"{base}/upload/", params={"name": "rest.bin"}, cookies=cookies,
                              headers={"X-CSRFToken": csrf}, content=b"z" * left, timeout=60)
        assert uploaded.status_code == 200, uploaded.text
    assert FileVersion.objects.filter(file__owner=user).aggregate(
        total=Sum("size"))["total"] == QUOTA


def test_uploads_in_progress_hold_no_database_connection(two_connection_server, user):
    """Four uploads wait for the rest of their bodies on a server with two
    database connections: each checked the quota and gave its connection
    back, so a fifth upload goes through meanwhile and all four end well.
    (Holding a connection through the transfer made the third wait for one,
    then fail after the pool's timeout.)"""
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django.test import Client

    base, store = two_connection_server
    client = Client()
    client.force_login(user)
    csrf = get_token(HttpRequest())
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}
    headers = {"X-CSRFToken": csrf, "Content-Length": str(SIZE)}

    async def scenario():
        rest = asyncio.Event()
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=60) as http:

            async def paused(index):
                body = _body(index)

                async def stream():
                    yield body[: SIZE // 2]
                    await rest.wait()
                    yield body[SIZE // 2 :]

                # With its hash declared, it is written to the store while it arrives.
                declared = {**headers, "X-Content-SHA256": hashlib.sha256(body).hexdigest()}
                return await http.post("/upload/", params={"name": f"p{index}.bin"},
                                       content=stream(), headers=declared)

            def writing():  # the store's files being written: past every quota check
                return len(list(store.root.rglob(".part-*")))

            waiting = [asyncio.create_task(paused(i)) for i in range(4)]
            deadline = asyncio.get_running_loop().time() + 30
            while writing() < 4:
                assert asyncio.get_running_loop().time() < deadline, "four writes never begun"
                await asyncio.sleep(0.1)
            meanwhile = await http.post("/upload/", params={"name": "meanwhile.bin"},
                                        content=_body(9), headers=headers)
            rest.set()
            return meanwhile, await asyncio.gather(*waiting)

    meanwhile, finished = asyncio.run(scenario())
    assert meanwhile.status_code == 200, meanwhile.text
    assert [r.status_code for r in finished] == [200] * 4, [r.text for r in finished]
    assert FileVersion.objects.filter(file__owner=user).count() == 5
