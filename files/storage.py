"""Where file bytes live: local disk (embedded default) or S3-compatible
object storage through the official minio SDK (MinIO in production).

Both implementations honour the same contract (tests/files/test_storage.py
runs one suite against both). Content is addressed by its SHA-256: ``save()``
streams bytes in while hashing them, so identical content is stored once,
and nothing is ever held whole in memory (reads are chunked; S3 uploads are
multipart with fixed-size parts). A client that declares the hash up front
lets the bytes go straight to their final key, checked before they become
visible there.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# Multipart part size: the only buffer an S3 upload holds in memory.
PART_SIZE = 8 * CHUNK
# Parts sent to S3 at once while the next one is read (memory: this + 1 parts).
PARTS_IN_FLIGHT = 2
# Connections to the store kept open for the next request. The upload
# endpoint runs up to 40 uploads at once (anyio's worker threads), each with up
# to PARTS_IN_FLIGHT requests, besides downloads: with 10, 100 uploads at once
# opened a new connection for most requests and logged each one it dropped.
STORE_CONNECTIONS = 100
HEAD_BYTES = 8192  # enough for magic-byte detection (filetype reads 8 KiB)
BLOB_PREFIX = "blobs/"
TEMP_PREFIX = "tmp/"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class StoreError(Exception):
    """The file store failed or is unreachable."""


class StoreUnavailable(StoreError):
    """The store refused the connection or did not answer in time. Nothing
    more is asked of it (no abort, no clean-up that would wait as long
    again): ``manage.py sweep_files`` removes what was left."""


def _store_error(exc: BaseException) -> StoreError:
    import urllib3

    # urllib3 wraps every connection failure and timeout in its HTTPError
    # (errors of the stream being stored are never among them).
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return StoreUnavailable(str(exc))
    return StoreError(str(exc))


class TooLarge(Exception):
    """The stream went past the allowed size; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class ChecksumMismatch(Exception):
    """The bytes did not hash to the SHA-256 declared for them, or were not as
    many as declared; nothing was kept."""


@dataclass(frozen=True)
class Blob:
    key: str
    size: int
    sha256: str
    head: bytes  # the first bytes, for type detection without reading again
    created: bool  # False when identical content was already stored


def blob_key(sha256: str) -> str:
    return f"{BLOB_PREFIX}{sha256[:2]}/{sha256}"


def _read_part(stream: BinaryIO) -> bytes:
    """Up to PART_SIZE bytes: fewer only at the end of the stream."""
    chunks, size = [], 0
    while size < PART_SIZE:
        block = stream.read(PART_SIZE - size)
        if not block:
            break
        chunks.append(block)
        size += len(block)
    return b"".join(chunks)


class HashingReader:
    """File-like wrapper: hashes, counts and enforces a maximum while read.

    With ``expected_sha256``, the read that reaches the end of the stream
    raises ChecksumMismatch if the bytes hashed to something else. Stores
    read to the end before they make an object visible (``FileStore.put``),
    so a mismatch aborts the write.
    """

    def __init__(
        self, stream: BinaryIO, max_size: int | None = None, expected_sha256: str | None = None
    ):
        self.stream = stream
        self.max_size = max_size
        self.expected_sha256 = expected_sha256
        self.size = 0
        self.hash = hashlib.sha256()
        self.head = b""

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        return self._account(self.stream.read(n if n is not None and n > 0 else CHUNK))

    def read1(self, n: int = -1) -> bytes:
        """Whatever the stream has ready, up to ``n`` bytes (b"" only at the end)."""
        if n == 0:
            return b""
        read1 = getattr(self.stream, "read1", self.stream.read)
        return self._account(read1(n if n is not None and n > 0 else CHUNK))

    def _account(self, data: bytes) -> bytes:
        if data:
            self.size += len(data)
            if self.max_size is not None and self.size > self.max_size:
                raise TooLarge(self.max_size)
            self.hash.update(data)
            if len(self.head) < HEAD_BYTES:
                self.head += data[: HEAD_BYTES - len(self.head)]
        elif self.expected_sha256 and self.hash.hexdigest() != self.expected_sha256:
            raise ChecksumMismatch(f"declared {self.expected_sha256}, got {self.hash.hexdigest()}")
        return data


class _Prefixed:
    """Bytes already read, then the rest of the stream."""

    def __init__(self, prefix: bytearray, source: HashingReader):
        self.prefix: bytearray | None = prefix
        self.source = source

    def read(self, n: int = -1) -> bytes:
        if self.prefix:
            if n is None or n < 0 or n >= len(self.prefix):
                # Let the buffer go as soon as it is used up: a part's worth
                # of memory held for nothing otherwise.
                data, self.prefix = bytes(self.prefix), None
                return data
            data = bytes(self.prefix[:n])
            del self.prefix[:n]
            return data
        return self.source.read(n)


class _HeldBack:
    """The bytes of a write of known length, given as the stream has them,
    one chunk behind: the last chunk goes only after the read that found the
    end of the stream (which checks a declared hash) and a check that the
    length was right. A stream that fails leaves the write unfinished (a
    PUT short of its Content-Length, a local file never renamed), and an
    unfinished write stores nothing."""

    def __init__(self, stream: BinaryIO, length: int):
        self.stream = stream
        self.length = length
        self.started = False
        self._chunks: Iterator[bytes] | None = None

    def chunks(self) -> Iterator[bytes]:
        self.started = True
        read = getattr(self.stream, "read1", self.stream.read)
        sent = 0
        held = b""
        while block := read(CHUNK):
            sent += len(block)
            if sent > self.length:
                raise ChecksumMismatch(f"more than the {self.length} bytes declared")
            if held:
                yield held
            held = block
        if sent != self.length:
            raise ChecksumMismatch(f"{sent} bytes, not the {self.length} declared")
        if held:
            yield held

    def read(self, n: int = -1) -> bytes:
        """The same chunks as a file, for stores that read until b""."""
        if self._chunks is None:
            self._chunks = self.chunks()
        return next(self._chunks, b"")


class FileStore(ABC):
    name: str

    @abstractmethod
    def check(self) -> None:
        """Raise if the store cannot be used."""

    @abstractmethod
    def put(self, key: str, stream: BinaryIO, length: int = -1) -> None:
        """Store the stream's bytes under ``key`` without holding them all in memory.

        With ``length=-1`` the stream is read until a read returns b"" before
        anything becomes visible at ``key``; if a read raises, nothing does.
        """

    @abstractmethod
    def open(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the object's bytes (optionally a range) in chunks."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key under ``prefix``."""

    @abstractmethod
    def modified(self, key: str) -> float:
        """When the object was written (Unix time)."""

    @abstractmethod
    def _promote(self, temp_key: str, key: str) -> bool:
        """Move a finished temporary object to ``key``; False if ``key`` already existed."""

    def _put_new(self, key: str, stream: BinaryIO, length: int) -> bool:
        """Store ``length`` bytes at ``key`` unless an object is there already.

        True if this call created the object. When it returns False the
        stream may be partly read (or not at all).
        """
        if self.exists(key):
            return False
        self.put(key, _HeldBack(stream, length))  # the length checked before it is visible
        return True

    def save(
        self,
        stream: BinaryIO,
        max_size: int | None = None,
        expected_sha256: str | None = None,
        length: int | None = None,
    ) -> Blob:
        """Stream ``stream`` in under its content hash.

        With ``expected_sha256`` (the client's declared hash) bytes stream
        straight to ``blobs/<sha256>`` and are checked when the stream ends,
        before the object becomes visible: ``ChecksumMismatch`` if they differ.
        ``length``, the size the client declared, lets a small upload go in
        one request sent while its bytes arrive. Without a declared hash,
        bytes go to a temporary key first (the hash is known only at the
        end), then to ``blobs/<sha256>``; if that content is already there the
        copy is dropped. Any failure, including ``TooLarge``, leaves nothing
        behind.
        """
        if max_size is not None and length is not None and length > max_size:
            raise TooLarge(max_size)
        if expected_sha256 is not None:
            return self._save_declared(stream, max_size, expected_sha256, length)
        reader = HashingReader(stream, max_size)
        # Small content (one part or less) is hashed before it is written: it
        # goes straight to its final key, or nowhere if already stored.
        first = bytearray()
        while len(first) <= PART_SIZE:
            block = reader.read(CHUNK)
            if not block:
                break
            first += block
        if len(first) <= PART_SIZE:
            digest = reader.hash.hexdigest()
            key = blob_key(digest)
            created = self._put_new(key, io.BytesIO(first), len(first))
            return Blob(key, reader.size, digest, reader.head, created)
        reader = _Prefixed(first, reader)
        del first  # the reader owns it now, and drops it once read
        temp_key = f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            self.put(temp_key, reader)
        except StoreUnavailable:
            raise
        except BaseException:
            self._discard(temp_key)
            raise
        digest = reader.source.hash.hexdigest()
        key = blob_key(digest)
        try:
            created = self._promote(temp_key, key)
        except StoreUnavailable:
            raise
        except BaseException:
            self._discard(temp_key)
            raise
        return Blob(key, reader.source.size, digest, reader.source.head, created)

    def _save_declared(
        self, stream: BinaryIO, max_size: int | None, expected: str, length: int | None
    ) -> Blob:
        if not SHA256_HEX.fullmatch(expected):
            raise ValueError("expected_sha256 must be 64 lowercase hexadecimal characters")
        reader = HashingReader(stream, max_size, expected)
        key = blob_key(expected)
        if length is not None and 0 <= length <= PART_SIZE:
            created = self._put_new(key, reader, length)
        elif self.exists(key):
            created = False
        else:
            self.put(key, reader)
            created = True
        # When the content was there already, read and check every byte all
        # the same: knowing a hash must never be enough to be granted the
        # content behind it. (After a write this read finds the end at once.)
        while reader.read(CHUNK):
            pass
        if length is not None and reader.size != length:
            raise ChecksumMismatch(f"{reader.size} bytes, not the {length} declared")
        return Blob(key, reader.size, expected, reader.head, created)

    def _discard(self, key: str) -> None:
        try:
            self.delete(key)
        except Exception:  # the orphan sweep removes what this could not
            logger.warning("could not remove temporary object %s", key)


class LocalFileStore(FileStore):
    name = "local"

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StoreError("key escapes the store")
        return path

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"{self.root} is not writable")

    def put(self, key: str, stream: BinaryIO, length: int = -1) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(str(exc)) from exc
        # Write beside the target then rename: a reader never sees half a file.
        tmp = path.with_name(f".part-{uuid.uuid4().hex}")
        try:
            with tmp.open("wb") as out:
                while True:
                    block = stream.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(str(exc)) from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _promote(self, temp_key: str, key: str) -> bool:
        source, target = self._path(temp_key), self._path(key)
        if target.exists():
            source.unlink(missing_ok=True)
            return False
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            raise StoreError(str(exc)) from exc
        return True

    def open(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        if not path.exists():
            raise StoreError(f"no object {key}")

        def chunks():
            with path.open("rb") as f:
                f.seek(offset)
                remaining = length
                while remaining is None or remaining > 0:
                    block = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                    if not block:
                        break
                    if remaining is not None:
                        remaining -= len(block)
                    yield block

        return chunks()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    def modified(self, key: str) -> float:
        try:
            return self._path(key).stat().st_mtime
        except OSError as exc:
            raise StoreError(str(exc)) from exc

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.exists():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(".part-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield key


class S3FileStore(FileStore):
    name = "s3"

    def __init__(
        self, endpoint, access_key, secret_key, bucket, secure=False, region=None, *,
        connect_timeout: float = 3, read_timeout: float = 10, copy_timeout: float = 300,
    ):
        from minio import Minio

        # Bounded waits: a store that is down or hung fails an upload within
        # seconds, while the client still waits for the answer, instead of
        # minio's default five minutes per read retried five times (over 90 s
        # seen, then the file recorded after the client had given up). The
        # connect timeout also bounds each write of a body (urllib3 sends
        # under it). No retry after a read timed out; a refused
        # connection or a 5xx is tried once more, a fraction of a second later.
        self.http = self._pool(connect_timeout, read_timeout, secure)
        kwargs = dict(access_key=access_key, secret_key=secret_key, secure=secure,
                      region=region or None)
        self.client = Minio(endpoint, http_client=self.http, **kwargs)
        # A server-side copy sends nothing back until it is done, which for a
        # large file takes longer than any read timeout that suits the rest.
        self._copy_http = self._pool(connect_timeout, copy_timeout, secure)
        self._copier = Minio(endpoint, http_client=self._copy_http, **kwargs)
        self.bucket = bucket
        self._bucket_ready = False

    @staticmethod
    def _pool(connect_timeout: float, read_timeout: float, secure: bool):
        import certifi
        import urllib3

        # Also used for the conditional PUTs below (sent outside the SDK).
        return urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=STORE_CONNECTIONS,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=1, connect=1, read=0, other=0, status=1, backoff_factor=0.2,
                status_forcelist=[500, 502, 503, 504], raise_on_status=False,
            ),
        )

    def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
        except Exception as exc:
            raise _store_error(exc) from exc
        self._bucket_ready = True

    def check(self) -> None:
        try:
            if not self.client.bucket_exists(self.bucket):
                raise StoreError(f"bucket {self.bucket} is missing")
        except StoreError:
            raise
        except Exception as exc:
            raise _store_error(exc) from exc

    def put(self, key: str, stream: BinaryIO, length: int = -1) -> None:
        self.ensure_bucket()
        try:
            if 0 <= length <= PART_SIZE:
                self.client.put_object(self.bucket, key, stream, length)
            else:
                self._put_parts(key, stream)
        except (TooLarge, ChecksumMismatch):
            raise
        except Exception as exc:
            raise _store_error(exc) from exc

    def _put_parts(self, key: str, stream: BinaryIO) -> None:
        """A multipart upload with up to PARTS_IN_FLIGHT parts being sent while
        the next one is read and hashed, so the store never waits for us.

        Not minio's own parallel mode: when the stream raises (client gone,
        too large, checksum mismatch) it leaves its worker threads blocked
        forever, two per cancelled upload (seen with minio 7.2.20). Memory:
        PARTS_IN_FLIGHT + 1 parts. The upload is completed only after the
        read that found the end of the stream, so a stream that raises there
        (a checksum mismatch) never makes an object appear: it is aborted.
        """
        from . import minio_multipart as multipart

        part = _read_part(stream)
        if len(part) < PART_SIZE:  # all of it fits in one request
            self.client.put_object(self.bucket, key, io.BytesIO(part), len(part))
            return
        upload_id = multipart.create_multipart_upload(self.client, self.bucket, key)
        try:
            etags: list[str] = []
            sending: deque[Future] = deque()
            with ThreadPoolExecutor(PARTS_IN_FLIGHT, thread_name_prefix="s3-part") as pool:
                try:
                    number = 0
                    while part:
                        number += 1
                        if len(sending) == PARTS_IN_FLIGHT:
                            etags.append(sending.popleft().result())
                        sending.append(pool.submit(
                            multipart.upload_part,
                            self.client, self.bucket, key, upload_id, number, part,
                        ))
                        part = _read_part(stream)
                    etags.extend(future.result() for future in sending)
                finally:
                    for future in sending:  # not yet started: never send them
                        future.cancel()
            multipart.complete_multipart_upload(self.client, self.bucket, key, upload_id, etags)
        except BaseException as exc:
            if isinstance(_store_error(exc), StoreUnavailable):
                raise  # asking again would wait as long: the sweep aborts it
            try:
                multipart.abort_multipart_upload(self.client, self.bucket, key, upload_id)
            except Exception:  # never visible as an object; only its parts linger
                logger.warning("could not abort the multipart upload of %s", key)
            raise

    def _put_new(self, key: str, stream: BinaryIO, length: int) -> bool:
        """One PUT with ``If-None-Match: *`` (S3's conditional write, which
        MinIO and moto honour): no existence check first, and the body is
        sent while it arrives instead of being buffered. The last bytes are
        held back until the stream's end was read (and the declared hash and
        length checked), so a stream that turns out wrong never completes the
        request and nothing is stored."""
        from urllib3.exceptions import HTTPError
        from urllib3.exceptions import TimeoutError as TimedOut

        self.ensure_bucket()
        chunks = _HeldBack(stream, length).chunks()
        # The first chunk is in hand before the request starts: SeaweedFS keeps
        # an empty object for a PUT whose connection closes before its first
        # body byte, so a stream that fails that early (a wrong hash or length,
        # the client gone) must fail before anything is sent.
        first = next(chunks, b"")
        sent = False

        def body():
            nonlocal sent
            sent = True
            if first:
                yield first
            yield from chunks

        headers = {"Content-Length": str(length), "If-None-Match": "*"}
        for attempt in (1, 2):
            try:
                url = self.client.get_presigned_url(
                    "PUT", self.bucket, key, expires=timedelta(minutes=15)
                )
                # Never retried by urllib3 once bytes have gone: they cannot be sent again.
                response = self.http.urlopen(
                    "PUT", url, body=body(), headers=headers, retries=False
                )
                break
            except (TooLarge, ChecksumMismatch):
                raise
            except HTTPError as exc:
                if not sent and attempt == 1:
                    continue  # a pooled connection the store had closed: once more
                # A store may answer 412 before it reads the body and close the
                # connection under the rest of it (Go's server does when much
                # is left): then the content is there, and that is what counts.
                if sent and not isinstance(exc, TimedOut) and self.exists(key):
                    return False
                raise _store_error(exc) from exc
            except Exception as exc:
                raise _store_error(exc) from exc
        if response.status == 200:
            return True
        if response.status == 412:  # the content is there already
            return False
        if response.status == 409 and self.exists(key):  # the same bytes being written now
            return False
        raise StoreError(f"PUT {key}: HTTP {response.status} {response.data[:300]!r}")

    def _promote(self, temp_key: str, key: str) -> bool:
        from minio.commonconfig import ComposeSource, CopySource

        if self.exists(key):
            self.delete(temp_key)
            return False
        try:
            size = self.client.stat_object(self.bucket, temp_key).size
            if size > 5 * 1024**3:
                # A single server-side copy stops at 5 GiB; compose copies in parts.
                self._copier.compose_object(
                    self.bucket, key, [ComposeSource(self.bucket, temp_key)]
                )
            else:
                self._copier.copy_object(self.bucket, key, CopySource(self.bucket, temp_key))
            self.client.remove_object(self.bucket, temp_key)
        except Exception as exc:
            raise _store_error(exc) from exc
        return True

    def open(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        self.ensure_bucket()
        try:
            response = self.client.get_object(self.bucket, key, offset=offset, length=length or 0)
        except Exception as exc:
            raise _store_error(exc) from exc

        def chunks():
            try:
                yield from response.stream(CHUNK)
            finally:
                response.close()
                response.release_conn()

        return chunks()

    def delete(self, key: str) -> None:
        self.ensure_bucket()
        try:
            self.client.remove_object(self.bucket, key)
        except Exception as exc:
            raise _store_error(exc) from exc

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        self.ensure_bucket()
        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}:
                return False
            raise _store_error(exc) from exc
        except Exception as exc:
            raise _store_error(exc) from exc

    def size(self, key: str) -> int:
        self.ensure_bucket()
        try:
            return self.client.stat_object(self.bucket, key).size
        except Exception as exc:
            raise _store_error(exc) from exc

    def modified(self, key: str) -> float:
        self.ensure_bucket()
        try:
            return self.client.stat_object(self.bucket, key).last_modified.timestamp()
        except Exception as exc:
            raise _store_error(exc) from exc

    def keys(self, prefix: str = "") -> Iterator[str]:
        self.ensure_bucket()
        try:
            for obj in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield obj.object_name
        except Exception as exc:
            raise _store_error(exc) from exc

    def public_statements(self) -> list[dict]:
        """The bucket policy's statements that let anyone in (no policy: none)."""
        from minio.error import S3Error

        try:
            policy = self.client.get_bucket_policy(self.bucket)
        except S3Error as exc:
            if exc.code in {"NoSuchBucketPolicy", "NoSuchPolicy"}:
                return []
            raise _store_error(exc) from exc
        except Exception as exc:
            raise _store_error(exc) from exc
        return public_statements(policy)

    def make_private(self) -> bool:
        """Remove a bucket policy that lets anyone in; True if there was one.

        The intranet reaches its bucket with its own credentials only, so it
        needs no policy at all: every file is served after a permission check.
        """
        if not self.public_statements():
            return False
        try:
            self.client.delete_bucket_policy(self.bucket)
        except Exception as exc:
            raise _store_error(exc) from exc
        return True

    def abandoned_uploads(self, older_than: timedelta) -> list[tuple[str, str]]:
        """(key, upload id) of multipart uploads begun before ``older_than`` ago
        and never completed nor aborted (a crash between the parts): their
        parts take space but are no object."""
        from datetime import datetime
        from urllib.parse import unquote_plus
        from xml.etree import ElementTree

        from . import minio_multipart as multipart

        ns = "{http://s3.amazonaws.com/doc/2006-03-01/}"
        cutoff = datetime.now(UTC) - older_than
        found, markers = [], {}
        try:
            while True:
                root = ElementTree.fromstring(
                    multipart.list_multipart_uploads_xml(self.client, self.bucket, markers)
                )
                for upload in root.iter(f"{ns}Upload"):
                    key = unquote_plus(upload.findtext(f"{ns}Key", ""))
                    started = upload.findtext(f"{ns}Initiated", "")
                    when = datetime.fromisoformat(started) if started else None
                    if when is not None and when.tzinfo is None:
                        when = when.replace(tzinfo=UTC)
                    if when is None or when <= cutoff:
                        found.append((key, upload.findtext(f"{ns}UploadId", "")))
                if root.findtext(f"{ns}IsTruncated", "false").lower() != "true":
                    return found
                markers = {
                    "key-marker": unquote_plus(root.findtext(f"{ns}NextKeyMarker", "")),
                    "upload-id-marker": root.findtext(f"{ns}NextUploadIdMarker", ""),
                }
        except Exception as exc:
            raise _store_error(exc) from exc

    def abort_upload(self, key: str, upload_id: str) -> None:
        from . import minio_multipart as multipart

        try:
            multipart.abort_multipart_upload(self.client, self.bucket, key, upload_id)
        except Exception as exc:
            raise _store_error(exc) from exc


def public_statements(policy: str) -> list[dict]:
    """The statements of a bucket policy (JSON) that allow an anonymous principal."""
    import json

    statements = json.loads(policy or "{}").get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]

    def anyone(principal) -> bool:
        if principal == "*":
            return True
        if isinstance(principal, dict):
            principal = principal.get("AWS", [])
        if isinstance(principal, str):
            principal = [principal]
        return isinstance(principal, list) and "*" in principal

    return [
        statement for statement in statements
        if statement.get("Effect") == "Allow" and anyone(statement.get("Principal"))
    ]


def build_file_store() -> FileStore:
    if settings.FILE_STORE == "s3":
        endpoint = settings.S3_ENDPOINT.removeprefix("http://").removeprefix("https://")
        return S3FileStore(
            endpoint,
            settings.S3_ACCESS_KEY,
            settings.S3_SECRET_KEY,
            settings.S3_BUCKET,
            secure=settings.S3_SECURE or settings.S3_ENDPOINT.startswith("https://"),
            region=settings.S3_REGION,
            connect_timeout=settings.S3_CONNECT_TIMEOUT,
            read_timeout=settings.S3_READ_TIMEOUT,
            copy_timeout=settings.S3_COPY_TIMEOUT,
        )
    return LocalFileStore(settings.FILE_STORE_DIR)


@lru_cache(maxsize=1)
def get_file_store() -> FileStore:
    return build_file_store()


def prepare_file_store() -> None:
    """At start: create the bucket if it is missing and make it private (the
    store may still be down: /healthz then reports it)."""
    store = get_file_store()
    try:
        if isinstance(store, S3FileStore):
            store.ensure_bucket()
            if store.make_private():
                logger.warning("bucket %s let anyone read it: its policy was removed",
                               store.bucket)
        else:
            store.check()
    except StoreError as exc:
        logger.warning("file store %s not ready at start: %s", store.name, exc)
