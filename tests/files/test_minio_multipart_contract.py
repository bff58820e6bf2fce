"""Contract of files/minio_multipart.py, the one place that reaches the minio
SDK's private multipart calls: fails on any minio but the pinned one, and runs
each call against a real S3 server (SeaweedFS)."""

from __future__ import annotations

import inspect
from xml.etree import ElementTree

from minio import Minio

from files import minio_multipart as multipart
from tests.files.conftest import make_s3_store
from tests.pins import installed_version, pinned_version

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


def test_minio_is_the_version_the_adapter_was_checked_against():
    assert pinned_version("minio") == multipart.MINIO_VERSION
    assert installed_version("minio") == multipart.MINIO_VERSION, (
        "minio changed: check files/minio_multipart.py against its private calls, "
        "then update MINIO_VERSION and the pin in pyproject.toml"
    )


def test_the_private_calls_take_the_parameters_the_adapter_passes():
    def names(method):
        return list(inspect.signature(getattr(Minio, method)).parameters)

    assert names("_create_multipart_upload") == ["self", "bucket_name", "object_name", "headers"]
    assert names("_upload_part") == [
        "self", "bucket_name", "object_name", "data", "headers", "upload_id", "part_number",
    ]
    assert names("_complete_multipart_upload")[:5] == [
        "self", "bucket_name", "object_name", "upload_id", "parts",
    ]
    assert names("_abort_multipart_upload") == ["self", "bucket_name", "object_name", "upload_id"]
    assert names("_execute")[:2] == ["self", "method"]
    assert "query_params" in names("_execute")


def _unfinished(store) -> list[tuple[str, str]]:
    root = ElementTree.fromstring(
        multipart.list_multipart_uploads_xml(store.client, store.bucket, {})
    )
    return [(u.findtext(f"{NS}Key"), u.findtext(f"{NS}UploadId")) for u in root.iter(f"{NS}Upload")]


def test_a_multipart_upload_part_by_part_then_an_aborted_one(s3_server):
    store = make_s3_store(s3_server)
    store.ensure_bucket()
    first, last = b"a" * (5 * 1024 * 1024), b"the end"  # S3's smallest part but the last

    upload_id = multipart.create_multipart_upload(store.client, store.bucket, "whole")
    assert _unfinished(store) == [("whole", upload_id)]
    etags = [
        multipart.upload_part(store.client, store.bucket, "whole", upload_id, 1, first),
        multipart.upload_part(store.client, store.bucket, "whole", upload_id, 2, last),
    ]
    assert all(isinstance(etag, str) and etag for etag in etags)
    assert not store.exists("whole")  # nothing visible before completion
    multipart.complete_multipart_upload(store.client, store.bucket, "whole", upload_id, etags)
    assert b"".join(store.open("whole")) == first + last
    assert _unfinished(store) == []

    upload_id = multipart.create_multipart_upload(store.client, store.bucket, "dropped")
    multipart.upload_part(store.client, store.bucket, "dropped", upload_id, 1, b"x" * 1024)
    multipart.abort_multipart_upload(store.client, store.bucket, "dropped", upload_id)
    assert _unfinished(store) == []
    assert not store.exists("dropped")
