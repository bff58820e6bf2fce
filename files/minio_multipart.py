"""The minio SDK's multipart calls, which it keeps private.

minio 7.2 has no public call to send a multipart upload part by part (its
``put_object`` reads the stream itself, and its parallel mode leaves worker
threads blocked when the stream raises), nor one that lists unfinished
uploads with the dates SeaweedFS writes. ``S3FileStore`` needs both, so they
are reached here and nowhere else: minio is pinned exactly in pyproject.toml,
and tests/files/test_minio_multipart_contract.py fails on any other version
and runs every call below against a real S3 server (SeaweedFS).
"""

from __future__ import annotations

from minio import Minio
from minio.datatypes import Part

# The version these calls were written and checked against (pyproject.toml
# pins the same one).
MINIO_VERSION = "7.2.20"


def create_multipart_upload(client: Minio, bucket: str, key: str) -> str:
    """Start a multipart upload of ``key``; its upload id."""
    return client._create_multipart_upload(bucket, key, {})


def upload_part(
    client: Minio, bucket: str, key: str, upload_id: str, number: int, data: bytes
) -> str:
    """Send part ``number`` (from 1); its ETag, to be given back on completion."""
    return client._upload_part(bucket, key, data, None, upload_id, number)


def complete_multipart_upload(
    client: Minio, bucket: str, key: str, upload_id: str, etags: list[str]
) -> None:
    """Make the object appear at ``key`` from the parts' ETags, in order."""
    parts = [Part(number, etag) for number, etag in enumerate(etags, start=1)]
    client._complete_multipart_upload(bucket, key, upload_id, parts)


def abort_multipart_upload(client: Minio, bucket: str, key: str, upload_id: str) -> None:
    """Drop an unfinished upload and its parts."""
    client._abort_multipart_upload(bucket, key, upload_id)


def list_multipart_uploads_xml(client: Minio, bucket: str, markers: dict[str, str]) -> bytes:
    """One page (up to 1,000) of the bucket's unfinished uploads, as S3's XML.

    Read by the caller rather than by minio's own listing, whose date parser
    refuses the "+01:00" offsets SeaweedFS writes on a server not set to UTC.
    ``markers``: S3's ``key-marker`` and ``upload-id-marker`` of the next page.
    """
    response = client._execute("GET", bucket, query_params={
        "uploads": "", "encoding-type": "url", "max-uploads": "1000", **markers,
    })
    return response.data
