"""Attachments in the shared file store, keyed by the SHA-256 of their bytes.

Bytes are stored before the rows are written; if the rows' transaction fails,
objects this call created (and that no other row references) are deleted, so
there is neither an orphan object nor a half-written row.
"""

from __future__ import annotations

import hashlib
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from files.storage import get_file_store

from .models import RequestAttachment, store_key
from .workflow import WorkflowError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "REQUESTS_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class StoredUpload:
    filename: str
    content_type: str
    size: int
    sha256: str
    created_object: bool


def check_size(upload) -> None:
    if upload.size > max_bytes():
        raise WorkflowError(
            _("%(name)s is too large (%(size)s); the limit is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(upload.size),
               "limit": filesizeformat(max_bytes())}
        )


def _store(upload) -> StoredUpload:
    check_size(upload)
    digest = hashlib.sha256()
    size = 0
    # Spool to a temporary file: hash first, then stream to the store.
    with tempfile.TemporaryFile() as spool:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            if size > max_bytes():
                raise WorkflowError(_("%(name)s is too large.") % {"name": upload.name})
            spool.write(chunk)
        spool.seek(0)
        sha = digest.hexdigest()
        store = get_file_store()
        key = store_key(sha)
        existed = store.exists(key)
        if not existed:
            store.put(key, spool, size)
    return StoredUpload(upload.name[:255], (upload.content_type or "")[:120], size, sha,
                        not existed)


def _discard(stored: list[StoredUpload]) -> None:
    store = get_file_store()
    for item in stored:
        if item.created_object and not RequestAttachment.objects.filter(
            sha256=item.sha256
        ).exists():
            try:
                store.delete(store_key(item.sha256))
            except Exception:  # best effort: the original error matters more
                pass


@contextmanager
def stored_uploads(uploads):
    """Store the uploads; yield them; remove new objects if the block fails."""
    stored: list[StoredUpload] = []
    try:
        for upload in uploads:
            stored.append(_store(upload))
        yield stored
    except BaseException:
        _discard(stored)
        raise


def attach(request, stored: list[StoredUpload], by) -> list[RequestAttachment]:
    return [
        RequestAttachment.objects.create(
            request=request, filename=item.filename, content_type=item.content_type,
            size=item.size, sha256=item.sha256, uploaded_by=by,
        )
        for item in stored
    ]


def open_attachment(attachment: RequestAttachment):
    return get_file_store().open(attachment.store_key)
