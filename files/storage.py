"""Where file bytes live: local disk (embedded default) or S3-compatible
object storage through the official minio SDK (MinIO in production).

Both implementations honour the same contract; objects are addressed by key.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

CHUNK = 1024 * 1024


class StoreError(Exception):
    """The file store failed or is unreachable."""


class FileStore(ABC):
    name: str

    @abstractmethod
    def check(self) -> None:
        """Raise if the store cannot be used."""

    @abstractmethod
    def put(self, key: str, stream: BinaryIO, length: int = -1) -> None:
        """Store the stream's bytes under ``key`` without holding them all in memory."""

    @abstractmethod
    def open(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Yield the object's bytes (optionally a range) in chunks."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int: ...


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
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

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
        return self._path(key).exists()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size


class S3FileStore(FileStore):
    name = "s3"

    def __init__(self, endpoint, access_key, secret_key, bucket, secure=False, region=None):
        from minio import Minio

        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region or None,
        )
        self.bucket = bucket
        self._bucket_ready = False

    def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
        except Exception as exc:
            raise StoreError(str(exc)) from exc
        self._bucket_ready = True

    def check(self) -> None:
        try:
            if not self.client.bucket_exists(self.bucket):
                raise StoreError(f"bucket {self.bucket} is missing")
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    def put(self, key: str, stream: BinaryIO, length: int = -1) -> None:
        self.ensure_bucket()
        try:
            # Unknown length streams as multipart in 16 MiB parts: bounded memory.
            self.client.put_object(self.bucket, key, stream, length, part_size=16 * CHUNK)
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    def open(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        self.ensure_bucket()
        try:
            response = self.client.get_object(self.bucket, key, offset=offset, length=length or 0)
        except Exception as exc:
            raise StoreError(str(exc)) from exc

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
            raise StoreError(str(exc)) from exc

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        self.ensure_bucket()
        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NotFound"}:
                return False
            raise StoreError(str(exc)) from exc

    def size(self, key: str) -> int:
        self.ensure_bucket()
        try:
            return self.client.stat_object(self.bucket, key).size
        except Exception as exc:
            raise StoreError(str(exc)) from exc


@lru_cache(maxsize=1)
def get_file_store() -> FileStore:
    if settings.FILE_STORE == "s3":
        endpoint = settings.S3_ENDPOINT.removeprefix("http://").removeprefix("https://")
        return S3FileStore(
            endpoint,
            settings.S3_ACCESS_KEY,
            settings.S3_SECRET_KEY,
            settings.S3_BUCKET,
            secure=settings.S3_SECURE or settings.S3_ENDPOINT.startswith("https://"),
            region=settings.S3_REGION,
        )
    return LocalFileStore(settings.FILE_STORE_DIR)
