"""Object storage hung or gone in the middle of an upload, on a real S3
server (SeaweedFS) paused with SIGSTOP or killed with SIGKILL while the real
upload endpoint streams to it: the user gets a clear error while still
waiting, no file is recorded, and after ``manage.py sweep_files`` nothing is
left in the store either (no object, no multipart upload)."""

from __future__ import annotations

import hashlib
import io
import time

import pytest
from django.core.management import call_command

from files import storage
from files.models import File, FileVersion
from files.storage import PART_SIZE
from tests.files.conftest import unfinished_uploads, use_s3_settings
from tests.multiproc import start_seaweedfs

pytestmark = pytest.mark.django_db(transaction=True)

# The store's defaults (collab/settings.py) wait 3 s to connect or send and
# 10 s for an answer, without retrying after a timeout; a few requests may
# each wait that long. Before, minio's defaults kept the user waiting for
# over 90 s. The bound leaves room for a loaded two-core machine.
BOUND = 60
BLOCK = 1024 * 1024


@pytest.fixture
def own_s3(tmp_path, settings, monkeypatch):
    """A server of its own (it is paused or killed), used through the store
    the settings build, with their timeouts."""
    server = start_seaweedfs(tmp_path / "s3")
    use_s3_settings(settings, server)
    store = storage.build_file_store()
    store.ensure_bucket()
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    yield server, store
    server.stop()


def body(size: int, fault, after: int):
    """``size`` bytes streamed as a browser would, ``fault()`` called once
    ``after`` bytes have gone."""

    async def chunks():
        sent = 0
        while sent < size:
            if sent == after:
                fault()
            yield bytes([sent // BLOCK % 251]) * BLOCK
            sent += BLOCK

    return chunks()


def sweep() -> str:
    out = io.StringIO()
    call_command("sweep_files", "--grace", "0", "--abandoned-hours", "0", stdout=out)
    return out.getvalue()


def assert_refused_clearly(response, started):
    assert response.status_code == 503, response.text
    assert "storage is unavailable" in response.json()["error"]
    assert time.monotonic() - started < BOUND
    assert not File.objects.exists() and not FileVersion.objects.exists()


def test_store_paused_mid_multipart_upload(own_s3, user, uploader):
    server, store = own_s3
    user.preferred_language = "en"
    user.save()
    started = time.monotonic()
    # Past the read-ahead: the multipart upload has begun and parts are on their way.
    response = uploader(user)(body(6 * PART_SIZE, server.pause, 3 * PART_SIZE),
                              "archive.zip")
    assert_refused_clearly(response, started)
    server.resume()
    # Nothing more was asked of the hung store: its upload is left to the sweep.
    assert len(unfinished_uploads(store)) == 1
    assert "1 abandoned multipart upload(s) aborted." in sweep()
    assert list(store.keys()) == []
    assert unfinished_uploads(store) == []
    assert not File.objects.exists()


def test_store_paused_during_a_declared_small_upload(own_s3, user, uploader):
    server, store = own_s3
    user.preferred_language = "en"
    user.save()
    data = b"".join(bytes([n % 251]) * BLOCK for n in range(2))
    started = time.monotonic()
    # One conditional PUT, sent while the body arrives; the store hangs under it.
    response = uploader(user)(body(len(data), server.pause, BLOCK), "minutes.pdf",
                              sha256=hashlib.sha256(data).hexdigest())
    assert_refused_clearly(response, started)
    server.resume()
    sweep()
    assert list(store.keys()) == []
    assert not File.objects.exists()


def test_store_killed_mid_upload_then_back(own_s3, user, uploader):
    server, store = own_s3
    user.preferred_language = "en"
    user.save()
    started = time.monotonic()
    response = uploader(user)(body(4 * PART_SIZE, server.kill, PART_SIZE + 4 * BLOCK),
                              "archive.zip")
    assert_refused_clearly(response, started)
    server.restart()  # same data: whatever the upload had begun is still there
    report = sweep()
    assert list(store.keys()) == [], report
    assert unfinished_uploads(store) == []
    # The store works again: the same upload now goes through.
    again = uploader(user)(body(2 * PART_SIZE, lambda: None, 0), "archive.zip")
    assert again.status_code == 200, again.text
    assert File.objects.count() == 1
