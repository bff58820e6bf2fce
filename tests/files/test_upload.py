"""The streaming upload endpoint, through the real ASGI application."""

from __future__ import annotations

import hashlib
import os
import time

import httpx
import pytest

from files.models import File, FileVersion
from files.storage import PART_SIZE, LocalFileStore, S3FileStore, StoreError, blob_key
from files.upload_app import READ_AHEAD
from tests.files.conftest import unfinished_uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_stores_content_and_records_server_side_facts(app_store, user, uploader):
    body = PDF + b"x" * 200_000
    response = uploader(user)(body, "تقرير سنوي.pdf")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["ok"] is True
    assert data["sha256"] == hashlib.sha256(body).hexdigest()
    assert data["size"] == len(body)
    assert data["content_type"] == "application/pdf"
    version = FileVersion.objects.get(pk=data["version_id"])
    assert version.file.name == "تقرير سنوي.pdf"  # Arabic kept
    assert version.file.owner == user
    assert b"".join(app_store.open(version.blob_key)) == body


def test_streamed_upload_without_length_is_hashed_the_same(app_store, user, uploader):
    body = b"streamed " * 50_000
    data = uploader(user)(body, "notes.txt", chunked=True).json()
    assert data["ok"]
    assert data["sha256"] == hashlib.sha256(body).hexdigest()
    assert data["content_type"] == "text/plain"


def test_declared_hash_stores_straight_under_it(app_store, user, uploader, monkeypatch):
    body = PDF + b"p" * (PART_SIZE + 1000)  # more than one part: a multipart upload
    digest = hashlib.sha256(body).hexdigest()

    def no_copy(*args):
        raise AssertionError("a declared hash needs no temporary key")

    monkeypatch.setattr(type(app_store), "_promote", no_copy)
    response = uploader(user)(body, "scan.pdf", sha256=digest.upper())
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["sha256"], data["size"], data["content_type"]) == (
        digest, len(body), "application/pdf"
    )
    assert FileVersion.objects.get(pk=data["version_id"]).blob_key == blob_key(digest)
    assert list(app_store.keys()) == [blob_key(digest)]


def test_small_upload_with_declared_hash_is_one_write(
    app_store, user, user_factory, uploader, monkeypatch
):
    """Content-Length and X-Content-SHA256: one conditional write, sent while
    the body arrives (no existence check on S3), deduplicated all the same."""
    body = PDF + b"q" * 5000
    digest = hashlib.sha256(body).hexdigest()
    refused = ["_promote", "delete"] + (["exists"] if isinstance(app_store, S3FileStore) else [])
    for name in refused:
        monkeypatch.setattr(
            type(app_store), name, lambda *a, name=name: pytest.fail(f"{name} was called")
        )
    first = uploader(user)(body, "note.pdf", sha256=digest)
    second = uploader(user_factory())(body, "copy.pdf", sha256=digest)
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    versions = FileVersion.objects.filter(pk__in=[first.json()["version_id"],
                                                  second.json()["version_id"]])
    assert {v.blob_key for v in versions} == {blob_key(digest)}
    assert {v.content_type for v in versions} == {"application/pdf"}
    assert list(app_store.keys()) == [blob_key(digest)]
    assert b"".join(app_store.open(blob_key(digest))) == body


def test_bytes_that_do_not_match_the_declared_hash_are_refused(app_store, user, uploader):
    user.preferred_language = "fr"
    user.save()
    body = b"w" * (PART_SIZE + 1000)
    damaged = hashlib.sha256(body[:-1] + b"x").hexdigest()
    response = uploader(user)(body, "rapport.bin", sha256=damaged)
    assert response.status_code == 400
    assert "endommagé" in response.json()["error"]
    assert not File.objects.exists()
    assert list(app_store.keys()) == []


def test_knowing_a_hash_does_not_give_its_content(app_store, user, user_factory, uploader):
    secret = b"salaries 2026: confidential"
    kept = uploader(user)(secret, "salaries.txt").json()
    thief = user_factory(preferred_language="en")
    response = uploader(thief)(b"anything", "mine.txt", sha256=kept["sha256"])
    assert response.status_code == 400
    assert "damaged" in response.json()["error"]
    assert not File.objects.filter(owner=thief).exists()
    key = FileVersion.objects.get(pk=kept["version_id"]).blob_key
    assert b"".join(app_store.open(key)) == secret


@pytest.mark.parametrize(
    "header", ["abc", "g" * 64, hashlib.sha256(b"x").hexdigest() + "0", "", "../" * 21 + "a"]
)
def test_malformed_declared_hash_is_refused_in_the_users_language(
    local_store, user, uploader, header
):
    user.preferred_language = "ar"
    user.save()
    response = uploader(user)(b"data", "a.txt", sha256=header)
    assert response.status_code == 400
    assert "X-Content-SHA256" in response.json()["error"]
    assert "المجموع الاختباري" in response.json()["error"]  # checksum, in Arabic
    assert not File.objects.exists()
    assert list(local_store.keys()) == []


def test_body_is_read_ahead_while_the_store_writes_and_no_further(
    local_store, user, uploader, monkeypatch
):
    """While the worker thread writes what it took, the event loop keeps
    receiving the body (the client is not stalled), up to READ_AHEAD bytes
    and no more (memory stays bounded)."""
    chunk = b"r" * 65536
    count = 3 * READ_AHEAD // len(chunk)
    size, digest = count * len(chunk), hashlib.sha256()
    for _ in range(count):
        digest.update(chunk)
    received = 0

    async def body():
        nonlocal received
        for _ in range(count):
            received += len(chunk)
            yield chunk

    ahead = []  # bytes received but not yet taken, while the thread is busy writing
    put = LocalFileStore.put

    def slow_put(self, key, stream, length=-1):
        taken = 0

        class Writing:
            def read(self, n=-1):
                nonlocal taken
                data = stream.read(n)
                taken += len(data)
                if data and len(ahead) < 3:
                    deadline = time.monotonic() + 5
                    while received - taken < READ_AHEAD and time.monotonic() < deadline:
                        time.sleep(0.01)
                    time.sleep(0.05)  # time enough to read further if it would
                    ahead.append(received - taken)
                return data

        put(self, key, Writing(), length)

    monkeypatch.setattr(LocalFileStore, "put", slow_put)
    data = uploader(user)(body(), "big.bin", sha256=digest.hexdigest()).json()
    assert data["ok"] and data["size"] == size
    assert len(ahead) == 3
    assert all(READ_AHEAD <= n < READ_AHEAD + len(chunk) for n in ahead), ahead


@pytest.mark.parametrize("declared", [False, True], ids=["temporary key", "declared hash"])
def test_client_gone_mid_upload_leaves_nothing(app_store, user, uploader, declared):
    from starlette.requests import ClientDisconnect

    chunk = b"d" * 65536
    sent = int(2.5 * PART_SIZE) // len(chunk)  # two parts written, the third under way

    async def body():
        for _ in range(sent):
            yield chunk
        raise ClientDisconnect()  # what request.stream() raises when the client goes

    digest = hashlib.sha256(chunk * (2 * sent)).hexdigest() if declared else None
    response = uploader(user)(body(), "gone.bin", sha256=digest)
    assert response.json()["ok"] is False
    assert not File.objects.exists()
    assert list(app_store.keys()) == []
    assert unfinished_uploads(app_store) == []


def test_type_comes_from_content_not_name_or_browser(local_store, user, uploader):
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    data = uploader(user)(html, "holiday.jpg").json()
    assert data["content_type"] == "text/html"
    data = uploader(user)(PNG, "report.pdf").json()
    assert data["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\..\\evil.exe", "evil.exe"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("  ..  ", "file"),
        ("محضر الاجتماع.docx", "محضر الاجتماع.docx"),
    ],
)
def test_names_are_sanitised(local_store, user, uploader, raw, kept):
    data = uploader(user)(b"same content", raw).json()
    assert data["name"] == kept
    assert File.objects.get(pk=data["file_id"]).name == kept


def test_identical_content_is_stored_once(app_store, user, user_factory, uploader):
    other = user_factory()
    first = uploader(user)(b"the same memo", "a.txt").json()
    second = uploader(other)(b"the same memo", "b.txt").json()
    v1 = FileVersion.objects.get(pk=first["version_id"])
    v2 = FileVersion.objects.get(pk=second["version_id"])
    assert v1.blob_key == v2.blob_key
    assert list(app_store.keys()) == [v1.blob_key]


def test_max_size_refused_before_any_byte_is_stored(local_store, user, uploader, settings):
    settings.FILES_MAX_SIZE = 1000
    settings.LANGUAGE_CODE = "en"
    user.preferred_language = "en"
    user.save()
    response = uploader(user)(b"x" * 1001, "big.bin")
    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert not File.objects.exists()
    assert list(local_store.keys()) == []


def test_max_size_enforced_on_a_stream_of_unknown_length(app_store, user, uploader, settings):
    settings.FILES_MAX_SIZE = 100_000
    response = uploader(user)(b"x" * 300_000, "big.bin", chunked=True)
    assert response.status_code == 413
    assert not File.objects.exists()
    assert list(app_store.keys()) == []


def test_quota_is_per_user_and_translated(local_store, user, user_factory, uploader, settings):
    settings.FILES_USER_QUOTA = 1500
    user.preferred_language = "fr"
    user.save()
    assert uploader(user)(b"a" * 1000, "one.bin").status_code == 200
    response = uploader(user)(b"b" * 1000, "two.bin")
    assert response.status_code == 413
    assert "quota" in response.json()["error"]
    assert "Pas assez" in response.json()["error"] or "espace" in response.json()["error"]
    assert File.objects.filter(owner=user).count() == 1
    assert len(list(local_store.keys())) == 1
    # Another user has a quota of their own.
    assert uploader(user_factory())(b"c" * 1000, "three.bin").status_code == 200


def test_small_upload_refused_when_recorded_if_another_took_the_room(
    app_store, user, settings
):
    """A small upload of declared size holds no quota while it transfers: if
    an upload that ran at once took the room meanwhile, it is refused when it
    is recorded, and nothing of it is kept."""
    import io

    from files import services

    settings.FILES_USER_QUOTA = 1000
    other = b"b" * 600

    class Meanwhile(io.BytesIO):
        def read(self, n=-1):
            if self.tell() == 0:  # another upload ends while this one transfers
                services.upload_file(user, io.BytesIO(other), "other.bin", declared_size=600)
            return super().read(n)

    with pytest.raises(services.UploadRefused) as refused:
        services.upload_file(user, Meanwhile(b"a" * 600), "late.bin", declared_size=600)
    assert refused.value.status == 413
    assert list(FileVersion.objects.values_list("file__name", "size")) == [("other.bin", 600)]
    assert list(app_store.keys()) == [blob_key(hashlib.sha256(other).hexdigest())]


def test_an_image_gets_its_thumbnail_after_the_answer(app_store, user, uploader, monkeypatch):
    """The endpoint answers, then makes the thumbnail (as the scan does when
    scanning is on): the answer never waits for the image to be decoded."""
    from files import services
    from tests.files.test_access import real_png

    made = []
    make = services.make_thumbnail

    def recorded(version):
        made.append(version.thumbnail_key)
        make(version)

    monkeypatch.setattr(services, "make_thumbnail", recorded)
    response = uploader(user)(real_png(), "photo.png")
    assert response.status_code == 200, response.text
    assert made == [""]  # once, for a version recorded without one
    version = FileVersion.objects.get(pk=response.json()["version_id"])
    assert version.thumbnail_key and app_store.exists(version.thumbnail_key)
    # Nothing to do after a file that can have no thumbnail.
    assert uploader(user)(b"plain bytes", "notes.txt").status_code == 200
    assert made == [""]


def test_the_list_reloaded_after_an_upload_brings_the_quota_line(
    local_store, user, uploader, client_for, settings
):
    settings.FILES_USER_QUOTA = 10_000
    assert uploader(user)(b"a" * 4000, "one.bin").status_code == 200
    # What the page asks for after an upload (hx-trigger files-uploaded).
    fragment = client_for(user).get(
        "/files/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="file-results"
    ).content.decode()
    assert "one.bin" in fragment
    assert 'id="quota-usage"' in fragment and 'hx-swap-oob="true"' in fragment
    assert 'data-limit="6000"' in fragment  # the space left, for the next upload's check
    # Other listings carry no quota line.
    shared = client_for(user).get(
        "/files/shared/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="file-results"
    ).content.decode()
    assert "quota-usage" not in shared


def test_storage_down_during_upload_leaves_no_row(local_store, user, uploader, monkeypatch):
    sent = {"n": 0}
    original = type(local_store).put

    def failing_put(self, key, stream, length=-1):
        stream.read(65536)  # part of the body went through, then the store fails
        sent["n"] += 1
        raise StoreError("disk unavailable")

    monkeypatch.setattr(type(local_store), "put", failing_put)
    user.preferred_language = "en"
    user.save()
    response = uploader(user)(b"y" * 500_000, "doc.txt")
    assert sent["n"] == 1
    assert response.status_code == 503
    assert "storage is unavailable" in response.json()["error"]
    assert not File.objects.exists() and not FileVersion.objects.exists()
    monkeypatch.setattr(type(local_store), "put", original)
    assert list(local_store.keys()) == []


def test_s3_down_during_upload_leaves_no_row(user, uploader, monkeypatch):
    from files import storage

    dead = storage.S3FileStore("127.0.0.1:9", "k", "s", "bucket")
    dead.http.connection_pool_kw["retries"] = False
    monkeypatch.setattr(storage, "get_file_store", lambda: dead)
    response = uploader(user)(b"z" * 1000, "doc.txt")
    assert response.status_code == 503
    assert not FileVersion.objects.exists()


def test_database_failure_after_upload_removes_the_object(app_store, user, uploader, monkeypatch):
    from django.db import DatabaseError

    def broken_create(*args, **kwargs):
        raise DatabaseError("database went away")

    monkeypatch.setattr(FileVersion.objects, "create", broken_create)
    response = uploader(user)(b"bytes that must not stay", "doc.txt")
    assert response.status_code == 500
    assert "Nothing was kept" in response.json()["error"] or response.json()["error"]
    assert not File.objects.exists()
    assert list(app_store.keys()) == []


def test_database_failure_keeps_content_other_files_use(local_store, user, uploader, monkeypatch):
    from django.db import DatabaseError

    kept = uploader(user)(b"shared content", "first.txt").json()
    monkeypatch.setattr(
        FileVersion.objects, "create", lambda *a, **k: (_ for _ in ()).throw(DatabaseError())
    )
    assert uploader(user)(b"shared content", "second.txt").status_code == 500
    key = FileVersion.objects.get(pk=kept["version_id"]).blob_key
    assert local_store.exists(key)


def test_upload_needs_session_and_csrf(local_store, user, uploader):
    assert uploader(user)(b"data", "a.txt", csrf=False).status_code == 403
    assert uploader(user)(b"data", "a.txt", origin="https://evil.example").status_code == 403
    assert uploader(user)(b"data", "a.txt", origin="http://127.0.0.1").status_code == 200
    File.objects.all().delete()
    response = uploader(user)
    response.session = "not-a-session"
    assert response(b"data", "a.txt").status_code == 401
    assert not File.objects.exists()


def test_new_version_keeps_history(app_store, user, user_factory, uploader, client_for):
    up = uploader(user)
    first = up(b"version one", "plan.txt").json()
    second = up(b"version two!", "ignored name.txt", replace=first["file_id"]).json()
    assert second["file_id"] == first["file_id"] and second["version"] == 2
    file = File.objects.get(pk=first["file_id"])
    assert file.name == "plan.txt"
    assert file.current_version.number == 2
    assert list(file.versions.values_list("number", flat=True)) == [2, 1]
    client = client_for(user)
    old = client.get(f"/files/{file.pk}/download/?v=1")
    new = client.get(f"/files/{file.pk}/download/")
    assert _body(old) == b"version one"
    assert _body(new) == b"version two!"
    # Someone else cannot add a version to my file.
    stranger = uploader(user_factory())(b"hijack", "x.txt", replace=file.pk)
    assert stranger.status_code == 404
    assert file.versions.count() == 2


def _body(response):
    import httpx

    if response.status_code == 302:
        return httpx.get(response["Location"]).content
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(("query", "says"), [
    ("name=report%00.pdf", "U+0000"),
    ("name=report%1B%5B31m.pdf", "U+001B"),
    ("name=%ED%A0%80.pdf", "UTF-8"),
])
def test_a_name_no_one_types_is_refused_before_any_byte_is_stored(
    local_store, user, uploader, query, says
):
    import httpx
    from asgiref.sync import async_to_sync

    from asgi import application

    user.preferred_language = "en"
    user.save()
    up = uploader(user)

    async def post():
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1",
            cookies={"sessionid": up.session, "csrftoken": up.csrf},
        ) as client:
            return await client.post(f"/upload/?{query}", content=b"memo",
                                     headers={"X-CSRFToken": up.csrf})

    response = async_to_sync(post)()
    assert response.status_code == 400
    assert says in response.json()["error"] and "File name" in response.json()["error"]
    assert not File.objects.exists()
    assert not list(local_store.keys())


def test_download_through_the_asgi_server_streams_whole_and_in_ranges(app_store, user, uploader):
    """Served by the ASGI application as the servers run it (chunks handed
    over one at a time rather than read whole first): every byte, in order,
    and a range."""
    from asgiref.sync import async_to_sync

    from asgi import application

    body = os.urandom(2 * 1024 * 1024 + 123)  # several of the stores' chunks
    up = uploader(user)
    file_id = up(body, "big.bin").json()["file_id"]

    async def get(headers):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1",
            cookies={"sessionid": up.session},
        ) as client:
            return await client.get(f"/files/{file_id}/download/", headers=headers)

    whole = async_to_sync(get)({})
    assert whole.status_code == 200 and whole.content == body
    part = async_to_sync(get)({"Range": "bytes=1048570-1048585"})
    assert part.status_code == 206 and part.content == body[1048570:1048586]
