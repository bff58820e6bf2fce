"""One suite, two stores: local disk and S3 (minio SDK over HTTP against SeaweedFS)."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc

import pytest

from files.storage import (
    PART_SIZE,
    PARTS_IN_FLIGHT,
    ChecksumMismatch,
    S3FileStore,
    StoreError,
    TooLarge,
    blob_key,
)
from tests.files.conftest import unfinished_uploads


class PatternStream:
    """``size`` bytes made on the fly: the test itself never holds them.

    A repeating 32-byte pattern: the same bytes however they are read."""

    def __init__(self, size: int, seed: bytes = b"collab"):
        self.remaining = size
        self.position = 0
        self.pattern = hashlib.sha256(seed).digest()
        self.block = self.pattern * 2048  # 64 KiB
        self.hash = hashlib.sha256()

    def read(self, n=-1):
        n = self.remaining if n is None or n < 0 else min(n, self.remaining)
        start = self.position % len(self.pattern)
        out = (self.block * (n // len(self.block) + 2))[start : start + n]
        self.remaining -= n
        self.position += n
        self.hash.update(out)
        return out

    @classmethod
    def sha256(cls, size: int) -> str:
        stream = cls(size)
        while stream.read(1024 * 1024):
            pass
        return stream.hash.hexdigest()


def test_save_addresses_content_by_sha256(any_store):
    data = b"hello " * 1000
    blob = any_store.save(io.BytesIO(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.key == blob_key(blob.sha256)
    assert blob.size == len(data)
    assert blob.created
    assert blob.head == data[:8192]
    assert any_store.exists(blob.key)
    assert any_store.size(blob.key) == len(data)
    assert b"".join(any_store.open(blob.key)) == data


def test_identical_content_is_stored_once(any_store):
    first = any_store.save(io.BytesIO(b"same bytes"))
    second = any_store.save(io.BytesIO(b"same bytes"))
    assert first.key == second.key
    assert first.created and not second.created
    assert list(any_store.keys()) == [first.key]  # no temporary object left


def test_ranges(any_store):
    data = bytes(range(256)) * 10
    blob = any_store.save(io.BytesIO(data))
    assert b"".join(any_store.open(blob.key, offset=100, length=50)) == data[100:150]
    assert b"".join(any_store.open(blob.key, offset=2500)) == data[2500:]


def test_too_large_leaves_nothing(any_store):
    with pytest.raises(TooLarge):
        any_store.save(io.BytesIO(b"x" * 5000), max_size=4999)
    assert list(any_store.keys()) == []
    blob = any_store.save(io.BytesIO(b"x" * 5000), max_size=5000)
    assert blob.size == 5000


def test_failure_mid_stream_leaves_nothing(any_store):
    class Broken:
        def __init__(self):
            self.sent = 0

        def read(self, n=-1):
            if self.sent > 3 * 1024 * 1024:
                raise ConnectionResetError("client went away")
            self.sent += 1024 * 1024
            return b"y" * 1024 * 1024

    with pytest.raises((ConnectionResetError, StoreError)):
        any_store.save(Broken())
    assert list(any_store.keys()) == []


def _refuse_calls(monkeypatch, store, *names):
    """Make the store's ``names`` methods fail the test if they are called."""
    for name in names:

        def refused(*args, name=name, **kwargs):
            raise AssertionError(f"{name}{args} was called")

        monkeypatch.setattr(store, name, refused)


@pytest.mark.parametrize("size", [5000, 2 * PART_SIZE + 5], ids=["one part", "multipart"])
def test_declared_hash_goes_straight_to_its_key(any_store, monkeypatch, size):
    expected = PatternStream.sha256(size)
    _refuse_calls(monkeypatch, any_store, "_promote", "delete")  # no temporary key
    blob = any_store.save(PatternStream(size), expected_sha256=expected)
    assert (blob.key, blob.sha256, blob.size) == (blob_key(expected), expected, size)
    assert blob.created
    assert list(any_store.keys()) == [blob.key]
    assert any_store.size(blob.key) == size


@pytest.mark.parametrize("size", [5000, 2 * PART_SIZE + 5], ids=["one part", "multipart"])
def test_declared_hash_mismatch_never_makes_an_object_visible(any_store, monkeypatch, size):
    """Checked at the end of the stream, before the last write: no object at
    the declared key at any moment (none is removed afterwards), none elsewhere."""
    declared = hashlib.sha256(b"what the client claimed").hexdigest()
    _refuse_calls(monkeypatch, any_store, "_promote", "delete")
    with pytest.raises(ChecksumMismatch):
        any_store.save(PatternStream(size), expected_sha256=declared)
    assert list(any_store.keys()) == []
    assert unfinished_uploads(any_store) == []


def test_declared_hash_of_stored_content_is_still_checked_in_full(any_store, monkeypatch):
    stored = any_store.save(io.BytesIO(b"the real minutes"))
    _refuse_calls(monkeypatch, any_store, "put", "_promote", "delete")  # nothing written
    # Knowing the hash is not enough: other bytes under that hash are refused...
    with pytest.raises(ChecksumMismatch):
        any_store.save(io.BytesIO(b"forged minutes!!"), expected_sha256=stored.sha256)
    # ... and the true bytes are read to their end before they count as stored.
    stream = io.BytesIO(b"the real minutes")
    again = any_store.save(stream, expected_sha256=stored.sha256)
    assert (again.key, again.created, again.size) == (stored.key, False, 16)
    assert stream.read() == b""
    assert b"".join(any_store.open(stored.key)) == b"the real minutes"
    assert list(any_store.keys()) == [stored.key]


def test_declared_hash_too_large_leaves_nothing(any_store):
    data = b"x" * 5000
    with pytest.raises(TooLarge):
        any_store.save(io.BytesIO(data), 4999, expected_sha256=hashlib.sha256(data).hexdigest())
    assert list(any_store.keys()) == []


def test_declared_hash_must_be_a_sha256(any_store):
    with pytest.raises(ValueError):
        any_store.save(io.BytesIO(b"data"), expected_sha256="../../etc/passwd")
    assert list(any_store.keys()) == []


# With the declared size too (the upload endpoint passes Content-Length), a
# small upload goes in one request sent while its bytes arrive: S3 writes it
# with If-None-Match (no existence check first), and the last bytes wait for
# the end of the stream to be read and checked.


@pytest.mark.parametrize("size", [0, 5000, PART_SIZE], ids=["empty", "small", "one part"])
def test_declared_size_and_hash_store_in_one_request(any_store, monkeypatch, size):
    expected = PatternStream.sha256(size)
    refused = ["_promote", "delete"] + (["exists"] if isinstance(any_store, S3FileStore) else [])
    _refuse_calls(monkeypatch, any_store, *refused)
    blob = any_store.save(PatternStream(size), expected_sha256=expected, length=size)
    assert (blob.key, blob.size, blob.created) == (blob_key(expected), size, True)
    assert list(any_store.keys()) == [blob.key]
    assert hashlib.sha256(b"".join(any_store.open(blob.key))).hexdigest() == expected


def test_declared_size_and_hash_of_stored_content(any_store, monkeypatch):
    data = b"the real minutes"
    stored = any_store.save(io.BytesIO(data))
    _refuse_calls(monkeypatch, any_store, "_promote", "delete")
    with pytest.raises(ChecksumMismatch):  # the hash alone grants nothing
        any_store.save(io.BytesIO(b"forged minutes!!"), expected_sha256=stored.sha256, length=16)
    stream = io.BytesIO(data)
    again = any_store.save(stream, expected_sha256=stored.sha256, length=len(data))
    assert (again.key, again.created, again.size) == (stored.key, False, len(data))
    assert stream.read() == b""  # read and checked to the end all the same
    assert b"".join(any_store.open(stored.key)) == data
    assert list(any_store.keys()) == [stored.key]


@pytest.mark.parametrize(
    "data, length",
    [(b"x" * 5000, 5000), (b"x" * 4000, 5000), (b"x" * 6000, 5000)],
    ids=["wrong hash", "fewer bytes than declared", "more bytes than declared"],
)
def test_declared_size_and_hash_mismatch_stores_nothing(any_store, data, length):
    declared = (
        hashlib.sha256(b"something else").hexdigest()
        if len(data) == length
        else hashlib.sha256(data).hexdigest()  # right hash, wrong size: still refused
    )
    with pytest.raises(ChecksumMismatch):
        any_store.save(io.BytesIO(data), expected_sha256=declared, length=length)
    assert list(any_store.keys()) == []


def test_declared_size_over_the_limit_is_refused_before_reading(any_store):
    stream = io.BytesIO(b"x" * 5000)
    with pytest.raises(TooLarge):
        any_store.save(stream, 4999, expected_sha256=hashlib.sha256(b"x" * 5000).hexdigest(),
                       length=5000)
    assert stream.tell() == 0
    assert list(any_store.keys()) == []


def test_declared_size_client_gone_mid_stream_stores_nothing(any_store):
    class GoneAfterOneBlock:
        def __init__(self):
            self.sent = False

        def read(self, n=-1):
            if self.sent:
                raise ConnectionResetError("client went away")
            self.sent = True
            return b"y" * 1024

    with pytest.raises((ConnectionResetError, StoreError)):
        any_store.save(GoneAfterOneBlock(), expected_sha256="0" * 64, length=4096)
    assert list(any_store.keys()) == []


def test_s3_conditional_put_is_sent_again_on_a_closed_pooled_connection(
    s3_server, monkeypatch
):
    """A keep-alive connection the store has closed fails before any byte of
    the body is used: that request, and only that one, is sent again."""
    from urllib3.exceptions import ProtocolError

    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    store.ensure_bucket()
    real = store.http.urlopen
    calls = []

    def flaky(method, url, body=None, **kwargs):
        calls.append(method)
        if len(calls) == 1:
            raise ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
        return real(method, url, body=body, **kwargs)

    monkeypatch.setattr(store.http, "urlopen", flaky)
    data = b"minutes of the meeting"
    blob = store.save(io.BytesIO(data), expected_sha256=hashlib.sha256(data).hexdigest(),
                      length=len(data))
    assert blob.created and calls == ["PUT", "PUT"]

    def fails_after_reading(method, url, body=None, **kwargs):
        if method != "PUT":  # the existence check that follows goes through
            return real(method, url, body=body, **kwargs)
        next(iter(body))  # bytes of the stream used: they cannot be sent again
        raise ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))

    monkeypatch.setattr(store.http, "urlopen", fails_after_reading)
    other = b"x" * 10_000
    with pytest.raises(StoreError):
        store.save(_Trickle(other), expected_sha256=hashlib.sha256(other).hexdigest(),
                   length=len(other))
    monkeypatch.setattr(store.http, "urlopen", real)
    assert list(store.keys()) == [blob.key]


def test_s3_conditional_put_cut_off_by_an_early_412(s3_server, monkeypatch):
    """A store that refuses the PUT (the content is there) before reading the
    body may close the connection under it: the upload still counts as stored
    once every byte was read and checked."""
    from urllib3.exceptions import ProtocolError

    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    data = b"x" * 10_000
    digest = hashlib.sha256(data).hexdigest()
    stored = store.save(io.BytesIO(data))
    real = store.http.urlopen

    def cut_off(method, url, body=None, **kwargs):
        if method != "PUT":  # the existence check that follows goes through
            return real(method, url, body=body, **kwargs)
        next(iter(body))
        raise ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))

    monkeypatch.setattr(store.http, "urlopen", cut_off)
    stream = _Trickle(data)
    again = store.save(stream, expected_sha256=digest, length=len(data))
    assert (again.key, again.created, again.size) == (stored.key, False, len(data))
    assert stream.read() == b""  # read and checked to the end
    with pytest.raises(ChecksumMismatch):  # and other bytes under that hash are refused
        store.save(_Trickle(b"y" * 10_000), expected_sha256=digest, length=10_000)


class _Trickle(io.BytesIO):
    """Hands over at most 1 KiB per read, as a slow client would."""

    def read1(self, n=-1):
        return super().read1(min(n, 1024) if n and n > 0 else 1024)


def test_delete_and_missing(any_store):
    blob = any_store.save(io.BytesIO(b"bye"))
    any_store.delete(blob.key)
    assert not any_store.exists(blob.key)
    any_store.delete(blob.key)  # deleting twice is fine
    with pytest.raises(StoreError):
        b"".join(any_store.open(blob.key))


def test_keys_lists_by_prefix(any_store):
    a = any_store.save(io.BytesIO(b"a"))
    b = any_store.save(io.BytesIO(b"b"))
    any_store.put("tmp/leftover", io.BytesIO(b"partial"))
    assert sorted(any_store.keys("blobs/")) == sorted([a.key, b.key])
    assert list(any_store.keys("tmp/")) == ["tmp/leftover"]


def test_multipart_streaming_memory_is_bounded(any_store):
    """Python allocations stay a few parts, and do not grow with the size."""

    def peak_for(size):
        stream = PatternStream(size)
        tracemalloc.start()
        try:
            blob = any_store.save(stream)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert blob.size == size
        assert blob.sha256 == stream.hash.hexdigest()
        assert any_store.size(blob.key) == size
        return peak

    small, large = peak_for(6 * PART_SIZE), peak_for(18 * PART_SIZE)
    # Parts in flight, the one being read and the first one (hashed to see
    # whether the content is small): never the 144 MiB that went through.
    assert large < (PARTS_IN_FLIGHT + 3) * PART_SIZE, large
    assert large < small + PART_SIZE // 2, (small, large)


def test_bucket_is_created_when_missing(s3_server):
    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    assert not store.client.bucket_exists(store.bucket)
    with pytest.raises(StoreError):
        store.check()
    store.ensure_bucket()
    store.check()
    assert store.client.bucket_exists(store.bucket)


def test_s3_server_refuses_expired_edited_and_anonymous_requests(s3_server):
    """What the store's signed requests rely on, checked by a real S3 server."""
    from datetime import UTC, datetime, timedelta

    import httpx
    from minio.error import S3Error

    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    blob = store.save(io.BytesIO(b"%PDF-1.4 signed"))
    signed = store.client.presigned_get_object(store.bucket, blob.key, expires=timedelta(minutes=5))
    assert httpx.get(signed).content == b"%PDF-1.4 signed"
    expired = store.client.presigned_get_object(
        store.bucket, blob.key, expires=timedelta(seconds=60),
        request_date=datetime.now(UTC) - timedelta(minutes=5),
    )
    assert httpx.get(expired).status_code == 403
    other = store.save(io.BytesIO(b"someone else's file"))
    assert httpx.get(signed.replace(blob.key, other.key)).status_code == 403
    longer = signed.replace("X-Amz-Expires=300", "X-Amz-Expires=301")
    assert longer != signed and httpx.get(longer).status_code == 403
    assert httpx.get(f"{s3_server.url}/{store.bucket}/{blob.key}").status_code == 403
    assert httpx.get(f"{s3_server.url}/{store.bucket}?list-type=2").status_code == 403
    # The conditional PUT goes to a signed URL too: another key is refused, stores nothing.
    put = store.client.get_presigned_url("PUT", store.bucket, "blobs/aa/a", timedelta(minutes=1))
    assert httpx.put(put.replace("blobs/aa/a", "blobs/aa/b"), content=b"x").status_code == 403
    assert httpx.put(f"{s3_server.url}/{store.bucket}/blobs/aa/b", content=b"x").status_code == 403
    assert not store.exists("blobs/aa/b")
    wrong_secret = S3FileStore(s3_server.endpoint, s3_server.access_key, "not-the-secret",
                               store.bucket, region="us-east-1")
    with pytest.raises(S3Error, match="SignatureDoesNotMatch"):
        list(wrong_secret.client.list_objects(store.bucket))


def test_a_public_bucket_is_made_private(s3_server):
    import json

    import httpx

    from tests.files.conftest import make_s3_store

    store = make_s3_store(s3_server)
    blob = store.save(io.BytesIO(b"payroll"))
    assert store.make_private() is False  # no policy: nothing to do
    store.client.set_bucket_policy(store.bucket, json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]},
                       "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{store.bucket}/*"]}],
    }))
    anonymous = f"{s3_server.url}/{store.bucket}/{blob.key}"
    assert httpx.get(anonymous).content == b"payroll"  # the server honours the policy
    assert store.public_statements()
    assert store.make_private() is True
    assert store.public_statements() == []
    assert httpx.get(anonymous).status_code == 403


def test_abandoned_multipart_uploads_are_listed_by_age_and_aborted(s3_server):
    from datetime import timedelta

    from files import minio_multipart as multipart
    from tests.files.conftest import make_s3_store, unfinished_uploads

    store = make_s3_store(s3_server)
    store.ensure_bucket()
    upload_id = multipart.create_multipart_upload(store.client, store.bucket, "tmp/crashed")
    multipart.upload_part(store.client, store.bucket, "tmp/crashed", upload_id, 1, b"x" * 1024)
    assert store.abandoned_uploads(timedelta(hours=1)) == []  # may still be running
    assert store.abandoned_uploads(timedelta(0)) == [("tmp/crashed", upload_id)]
    store.abort_upload("tmp/crashed", upload_id)
    assert unfinished_uploads(store) == []


def test_s3_store_down_raises_store_error():
    store = S3FileStore("127.0.0.1:9", "k", "s", "nobucket")
    store.http.connection_pool_kw["retries"] = False
    with pytest.raises(StoreError):
        store.save(io.BytesIO(b"data"))


def test_local_store_unwritable_raises_store_error(tmp_path):
    from files.storage import LocalFileStore

    root = tmp_path / "ro"
    root.mkdir()
    os.chmod(root, 0o500)
    store = LocalFileStore(root / "inner")
    try:
        if os.geteuid() == 0:
            # root ignores permissions: a file where the directory should be fails for root too.
            (root / "inner").parent.chmod(0o700)
            (root / "inner").write_text("not a directory")
        with pytest.raises(StoreError):
            store.save(io.BytesIO(b"data"))
    finally:
        os.chmod(root, 0o700)
