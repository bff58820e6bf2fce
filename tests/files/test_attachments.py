"""The attachment service other apps use: same storage path as My files,
kept out of My files, nothing left behind when the caller's transaction fails."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404

from files import selectors, services
from files.models import File
from files.storage import blob_key

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_failed_caller_transaction_removes_new_objects_and_keeps_shared_ones(
    local_store, user_factory
):
    owner = user_factory()
    mine = services.upload_file(owner, io.BytesIO(b"already in My files"), "memo.txt")
    uploads = [
        SimpleUploadedFile("memo.txt", b"already in My files"),
        SimpleUploadedFile("new.txt", b"only in this attachment"),
    ]
    with pytest.raises(RuntimeError):
        with services.attachment_uploads(
            owner, uploads, attached_to="tests"
        ) as pending, transaction.atomic():
            for item in pending:
                item.record()
            raise RuntimeError("the caller's own write failed")
    assert list(File.objects.all()) == [mine.file]
    assert local_store.exists(mine.blob_key)
    assert sorted(local_store.keys()) == [mine.blob_key]


def test_limit_type_and_name_go_through_the_files_rules(local_store, user_factory):
    owner = user_factory()
    with pytest.raises(services.UploadRefused) as refused:
        services.store_attachment(
            owner, SimpleUploadedFile("big.bin", b"x" * 11), attached_to="tests", max_size=10
        )
    assert refused.value.status == 413 and "big.bin" in refused.value.message
    assert list(local_store.keys()) == []
    # Spoofed extension and a hostile name: type from the bytes, name made safe.
    version = services.store_attachment(
        owner, SimpleUploadedFile("../evil\x07.pdf", PNG, "application/pdf"), attached_to="tests"
    )
    assert version.content_type == "image/png"
    assert "/" not in version.file.name and "\x07" not in version.file.name
    assert version.blob_key == blob_key(version.sha256)
    assert version.thumbnail_key == ""  # attachments are never shown as thumbnails


def test_an_attachment_is_not_a_document_of_my_files(local_store, user_factory):
    owner = user_factory()
    version = services.store_attachment(
        owner, SimpleUploadedFile("cert.txt", b"certificate"), attached_to="tests"
    )
    assert version.file.is_attachment
    assert not selectors.owned_by(owner).exists()
    assert selectors.used_bytes(owner) == 0
    # Not reachable, shareable or deletable through the files app's own URLs.
    for lookup in (selectors.visible_file, selectors.owned_file):
        with pytest.raises(Http404):
            lookup(owner, version.file_id)


@pytest.mark.django_db(transaction=True)
def test_discarding_attachments_removes_bytes_nothing_else_uses(local_store, user_factory):
    owner = user_factory()
    mine = services.upload_file(owner, io.BytesIO(b"shared bytes"), "memo.txt")
    shared = services.store_attachment(
        owner, SimpleUploadedFile("a.txt", b"shared bytes"), attached_to="tests"
    )
    own = services.store_attachment(
        owner, SimpleUploadedFile("b.txt", b"own bytes"), attached_to="tests"
    )
    with transaction.atomic():
        services.discard_attachments([shared.file, own.file, mine.file])
    assert list(File.objects.all()) == [mine.file]  # a My files document is never discarded
    assert local_store.exists(mine.blob_key)
    assert not local_store.exists(own.blob_key)
