"""Writes of the files app: one function per use case.

Order for an upload: check limits, stream the bytes into the store (nothing
is written to the database yet), then record the version in one transaction.
If the store fails, no row exists; if the database fails, the object this
upload created is removed. ``manage.py sweep_files`` sweeps whatever a
crash between the two left behind.
"""

from __future__ import annotations

import io
import logging
import subprocess
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collab import audit, events
from collab.later import gettext_later, in_every_language
from collab.models import User
from collab.services import notify

from . import integrations, selectors, storage
from .models import File, FileVersion, Share, UploadReservation
from .naming import detect_type, sanitise_name
from .scanning import CLEAN, INFECTED, get_scanner
from .storage import ChecksumMismatch, StoreError, TooLarge

logger = logging.getLogger(__name__)


class UploadRefused(Exception):
    """A clear, translated reason why an upload was not kept."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class ShareRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- Uploads ---------------------------------------------------------------


def upload_limit(user: User) -> tuple[int, int]:
    """(largest file allowed now, bytes left in the user's quota, counting
    what uploads in progress hold)."""
    return quota_status(user)[1:]


def quota_status(user: User) -> tuple[int, int, int]:
    """(bytes used, largest file allowed now, bytes left): the quota total is
    summed once for a page that shows both."""
    used = selectors.used_bytes(user)
    remaining = max(0, settings.FILES_USER_QUOTA - used - selectors.held_bytes(user))
    return used, min(settings.FILES_MAX_SIZE, remaining), remaining


def _too_large() -> UploadRefused:
    return UploadRefused(
        _("This file is too large: the limit is %(limit)s per file.")
        % {"limit": filesizeformat(settings.FILES_MAX_SIZE)},
        413,
    )


def _no_room(left: int) -> UploadRefused:
    return UploadRefused(
        _("Not enough space left: you have %(left)s of your %(quota)s quota.")
        % {
            "left": filesizeformat(max(0, left)),
            "quota": filesizeformat(settings.FILES_USER_QUOTA),
        },
        413,
    )


class QuotaExhausted(TooLarge):
    """The stream outgrew the quota its upload could hold (stores treat it as
    TooLarge: nothing is kept)."""


# A stream of unknown length holds quota in steps of this many bytes ahead of
# what it has read: one lock and write per step, not per chunk.
RESERVATION_STEP = storage.PART_SIZE
# Up to this declared size (one request to the store) an upload holds no
# quota while it transfers: the quota is read before (to refuse at once), and
# checked again under the lock in the transaction that records it, which
# removes what it stored if uploads that ran at once took the room. The hold
# (its own transaction, and its removal) was about a third of the server's
# time for a 1 MiB upload, whose transfer takes milliseconds.
UNHELD_MAX_SIZE = storage.PART_SIZE


class _NoRoomAtRecord(Exception):
    def __init__(self, left: int):
        super().__init__(left)
        self.left = left


def _lock_quota(user: User) -> None:
    # One user's quota checks and the recording of their uploads take turns
    # on their own row: the check sees either the hold or the version, never
    # neither, so no interleaving of uploads can pass the quota together.
    # NO KEY UPDATE: rows that only reference the user (a notification, a
    # chat message) need not wait for it. SQL rather than the ORM's
    # select_for_update: on the path of every upload, where its compilation
    # cost more CPU than the round trip. SQLite's transactions here are
    # IMMEDIATE: they take turns from BEGIN.
    from django.db import connection

    if connection.features.has_select_for_no_key_update:
        table = connection.ops.quote_name(User._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR NO KEY UPDATE", [user.pk])


def _lock_quota_and_count(user: User, exclude_hold: int | None = None) -> int:
    """``_lock_quota``, then the bytes the quota counts (stored versions and
    live holds but ``exclude_hold``). Read after the lock is held, by a
    statement of its own: a locking query computes its columns before it waits
    for the lock, so sums read by it could miss what the previous holder of the
    lock committed."""
    _lock_quota(user)
    return selectors.quota_in_use(user, exclude_hold)


def _without_waiting_for_the_disk() -> None:
    """Let the current transaction commit without waiting for PostgreSQL to
    flush it to disk (``synchronous_commit`` off for it alone).

    For quota holds only: a hold lives as long as its upload, and a database
    crash that loses one also ends that upload, so nothing depends on it
    surviving. The flush was the largest part of a small upload's time spent
    in the database (about 10 ms a commit on a busy machine). The version's
    rows are recorded with a normal commit: the person is told their file is
    kept only once it is on disk.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


class QuotaReservation:
    """Bytes of a user's quota held by one upload from before its first byte
    is stored until it is recorded (``settle``, inside the recording
    transaction) or has failed (``release``)."""

    def __init__(self, owner: User, row: UploadReservation):
        self.owner = owner
        self.row = row
        self.done = False

    @property
    def size(self) -> int:
        return self.row.size

    @classmethod
    def take(cls, owner: User, size: int) -> QuotaReservation:
        """Hold ``size`` bytes or raise UploadRefused saying how much is left."""
        with transaction.atomic():
            _without_waiting_for_the_disk()
            left = settings.FILES_USER_QUOTA - _lock_quota_and_count(owner)
            if size > left:
                raise _no_room(left)
            return cls(owner, UploadReservation.objects.create(user=owner, size=size))

    def grow(self, needed: int) -> None:
        """Hold at least ``needed`` bytes (a stream of unknown length has read
        that many), and a step more while the quota allows; QuotaExhausted if
        ``needed`` no longer fits."""
        if needed <= self.row.size:
            return
        with transaction.atomic():
            _without_waiting_for_the_disk()
            left = settings.FILES_USER_QUOTA - _lock_quota_and_count(self.owner, self.row.pk)
            if needed > left:
                raise QuotaExhausted(max(0, left))
            size = min(needed + RESERVATION_STEP, left, settings.FILES_MAX_SIZE)
            self.row.size = max(size, needed)
            self.row.updated_at = timezone.now()
            UploadReservation.objects.filter(pk=self.row.pk).update(
                size=self.row.size, updated_at=self.row.updated_at
            )
        _lend_connection_back()  # the rest of the step is transfer

    def settle(self) -> None:
        """In the transaction recording the version: the version now counts
        instead of the hold."""
        _lock_quota(self.owner)
        UploadReservation.objects.filter(pk=self.row.pk).delete()
        transaction.on_commit(self._mark_done)

    def _mark_done(self) -> None:
        self.done = True

    def release(self) -> None:
        """The upload failed: give the held bytes back (a hold that cannot be
        removed now stops counting after FILES_RESERVATION_SECONDS)."""
        if self.done:
            return
        try:
            UploadReservation.objects.filter(pk=self.row.pk).delete()
            self.done = True
        except Exception:
            logger.exception("could not release upload reservation %s", self.row.pk)


class _Metered:
    """The body of an upload of unknown length: grows the quota held as bytes
    are read, so the stream stops where the quota does."""

    def __init__(self, stream: BinaryIO, reservation: QuotaReservation):
        self.stream = stream
        self.reservation = reservation
        self.size = 0

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        self.reservation.grow(self.size)
        return data

    def read(self, n: int = -1) -> bytes:
        return self._count(self.stream.read(n))

    def read1(self, n: int = -1) -> bytes:
        read1 = getattr(self.stream, "read1", self.stream.read)
        return self._count(read1(n))


def upload_file(
    owner: User,
    stream: BinaryIO,
    name: str,
    *,
    declared_size: int | None = None,
    declared_sha256: str | None = None,
    replace: File | None = None,
    thumbnail_later: bool = False,
) -> FileVersion:
    """Store a new file (or a new version of ``replace``) and record it.

    The quota is held before any byte is stored (the declared size, or step
    by step for a stream of unknown length) and given back on any failure,
    so uploads running at once cannot together exceed it.
    ``declared_sha256`` (the client's hash of the bytes, lowercase hex) lets
    the store write straight to the content key; bytes that do not match it
    are refused and nothing is kept. With ``thumbnail_later`` the caller
    runs ``after_upload`` once it has answered (the upload endpoint does).
    """
    if replace is not None and replace.owner_id != owner.pk:
        raise UploadRefused(_("Only the owner can add a version."), 403)
    if declared_size is not None:
        # Refused on the declared size before a single byte is read.
        if declared_size > settings.FILES_MAX_SIZE:
            raise _too_large()
        if declared_size <= UNHELD_MAX_SIZE:
            left = settings.FILES_USER_QUOTA - selectors.quota_in_use(owner)
            if declared_size > left:
                raise _no_room(left)
            reservation = None
        else:
            reservation = QuotaReservation.take(owner, declared_size)
        limit = declared_size
    else:
        reservation = QuotaReservation.take(owner, 0)
        stream = _Metered(stream, reservation)
        limit = settings.FILES_MAX_SIZE
    try:
        _lend_connection_back()
        version = _store_and_record(owner, stream, name, limit, declared_size, declared_sha256,
                                    replace, reservation)
        if version.available and not thumbnail_later:
            make_thumbnail(version)
        return version
    finally:
        if reservation is not None:
            reservation.release()


def _lend_connection_back() -> None:
    """Return the database connection to the pool while bytes are transferred.

    A transfer lasts as long as the client takes to send, and needs no
    database; holding a pooled connection through it let 16 uploads at once
    take every connection of the process, so further uploads (and pages)
    failed after the pool's timeout. The next query takes one again. Only
    with a pool (a connection is cheap to get back) and outside a transaction.
    """
    from django.db import connection

    if "pool" in connection.settings_dict.get("OPTIONS", {}) and transaction.get_autocommit():
        connection.close()


def _store_and_record(owner, stream, name, limit, declared_size, declared_sha256, replace,
                      reservation) -> FileVersion:
    store = storage.get_file_store()
    try:
        blob = store.save(
            stream, max_size=limit, expected_sha256=declared_sha256, length=declared_size
        )
    except ChecksumMismatch:
        raise UploadRefused(
            _("The file changed or was damaged during the upload. Nothing was kept: "
              "please try again."),
            400,
        ) from None
    except QuotaExhausted as exc:
        raise _no_room(exc.limit) from None
    except TooLarge:
        raise _too_large() from None
    except StoreError:
        logger.exception("file store failed during an upload")
        raise UploadRefused(
            _("The file could not be stored: storage is unavailable. Nothing was kept."), 503
        ) from None
    try:
        version = _record_version(owner, blob, sanitise_name(name), replace,
                                  reservation=reservation, check_quota=reservation is None)
    except _NoRoomAtRecord as exc:
        if blob.created:
            _remove_blob_if_unused(blob.key)
        raise _no_room(exc.left) from None
    except Exception:
        logger.exception("recording an upload failed; removing its object")
        if blob.created:
            _remove_blob_if_unused(blob.key)
        raise UploadRefused(_("The file could not be saved. Nothing was kept."), 500) from None
    return version


# ---- Attachments (for other apps) -------------------------------------------
#
# A leave request's medical certificate or an announcement's circular goes
# through the same path as an upload to My files: streamed into the
# content-addressed store (stored once, whoever uploaded the same bytes),
# type detected from the content, name sanitised, scanned, quarantined until
# clean. The other app keeps a foreign key to the File; its own view checks
# its own permission, then serves through ``files.views.serve_version``.


class PendingAttachment:
    """Bytes already in the store, not yet recorded; ``record()`` inside the
    caller's transaction writes the File and its version."""

    def __init__(self, owner: User, blob, name: str, attached_to: str):
        self.owner, self.blob, self.name, self.attached_to = owner, blob, name, attached_to
        self.version: FileVersion | None = None

    def record(self) -> FileVersion:
        self.version = _record_version(
            self.owner, self.blob, self.name, None, attached_to=self.attached_to
        )
        if settings.FILES_SCAN_ENABLED:
            version_id = self.version.pk
            # Scanned once the caller's transaction is committed; until then
            # (and until clean) only the owner can fetch it. `manage.py
            # files_scan` picks up whatever this leaves pending.
            transaction.on_commit(lambda: _scan_quietly(version_id))
        return self.version


def is_infected(upload) -> bool:
    """With scanning on, scan an upload BEFORE it is stored, so a form can
    refuse an infected file beside its field with nothing written. A scanner
    that is down answers False: the scan after commit then decides."""
    if not settings.FILES_SCAN_ENABLED:
        return False
    from .scanning import INFECTED, get_scanner

    stream = upload.open("rb") if hasattr(upload, "open") else upload
    stream.seek(0)
    try:
        return get_scanner().scan(iter(lambda: stream.read(64 * 1024), b"")).verdict == INFECTED
    except OSError:
        return False
    finally:
        stream.seek(0)


def _scan_quietly(version_id: int) -> None:
    try:
        scan_version(version_id)
    except Exception:  # the version stays pending: never shown to others
        logger.exception("scanning attachment version %s failed", version_id)


def _store_attachment_bytes(owner: User, upload, attached_to: str, limit: int):
    name = sanitise_name(getattr(upload, "name", "") or "")
    too_large = UploadRefused(
        _("%(name)s is too large; the limit is %(limit)s per file.")
        % {"name": name, "limit": filesizeformat(limit)},
        413,
    )
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise too_large
    stream = upload.open("rb") if hasattr(upload, "open") else upload
    if hasattr(stream, "seek"):
        stream.seek(0)
    try:
        blob = storage.get_file_store().save(stream, max_size=limit)
    except TooLarge:
        raise too_large from None
    except StoreError:
        logger.exception("file store failed while storing an attachment")
        raise UploadRefused(
            _("The file could not be stored: storage is unavailable. Nothing was kept."), 503
        ) from None
    return PendingAttachment(owner, blob, name, attached_to)


@contextmanager
def attachment_uploads(owner: User, uploads, *, attached_to: str, max_size: int | None = None):
    """Store ``uploads`` (Django UploadedFiles) for ``owner``; yield them as
    PendingAttachments to ``record()`` inside the caller's transaction.

    Use as ``with attachment_uploads(...) as pending, transaction.atomic():``
    so that if the block fails, the rows are rolled back first and then every
    object this call created that nothing references is removed: neither an
    orphan object nor a half-written row. Raises UploadRefused (translated
    message) before anything is recorded.
    """
    limit = settings.FILES_MAX_SIZE if max_size is None else min(max_size, settings.FILES_MAX_SIZE)
    pending: list[PendingAttachment] = []
    try:
        for upload in uploads:
            pending.append(_store_attachment_bytes(owner, upload, attached_to, limit))
        yield pending
    except BaseException:
        for item in pending:
            if item.blob.created:
                _remove_blob_if_unused(item.blob.key)
        raise


def store_attachment(
    owner: User, upload, *, attached_to: str, max_size: int | None = None
) -> FileVersion:
    """Store one attachment and record it at once (its own transaction, or a
    savepoint of the caller's)."""
    with attachment_uploads(owner, [upload], attached_to=attached_to, max_size=max_size) as (
        pending
    ), transaction.atomic():
        return pending[0].record()


def adopt_as_attachment(owner: User, file_id, *, attached_to: str) -> File | None:
    """A document ``owner`` uploaded to My files (through the streaming
    upload) becomes an attachment of another app's record: out of My files
    and the quota, reached only through that record's page. None if it is
    not one of the owner's documents (or not a file id at all)."""
    if not str(file_id).isdigit():
        return None
    file = (File.objects.select_related("current_version")
            .filter(pk=int(file_id), owner=owner).first())
    if file is None or (file.attached_to and file.attached_to != attached_to):
        return None
    if not file.attached_to:
        # Shares would let others reach it outside the record's own checks.
        file.shares.update(revoked_at=timezone.now())
        file.attached_to = attached_to
        file.save(update_fields=["attached_to"])
    return file


def discard_attachments(files) -> None:
    """The record holding these attachment files lets them go: the files are
    deleted and, once committed, bytes that nothing else uses leave the store."""
    ids = [file.pk for file in files if file.is_attachment]
    if not ids:
        return
    keys = set(FileVersion.objects.filter(file_id__in=ids).values_list("blob_key", flat=True))
    File.objects.filter(pk__in=ids).update(current_version=None)
    File.objects.filter(pk__in=ids).delete()
    transaction.on_commit(lambda: [_remove_blob_if_unused(key) for key in keys])


THUMBNAIL_SIZE = (160, 160)
THUMBNAIL_MAX_BYTES = 25 * 1024 * 1024


PDF_THUMBNAIL_TIMEOUT = 20  # seconds: a hostile PDF must not hold the upload


def _pdf_first_page(data: bytes) -> bytes:
    """The first page of a PDF as PNG, by poppler's pdftoppm in its own process
    (a crash or a hang in the PDF parser stays out of the server)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.pdf"
        source.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-f", "1", "-l", "1", "-singlefile", "-png",
             "-scale-to", str(max(THUMBNAIL_SIZE)), str(source), str(Path(folder) / "page")],
            check=True, capture_output=True, timeout=PDF_THUMBNAIL_TIMEOUT,
        )
        return (Path(folder) / "page.png").read_bytes()


def has_thumbnail_kind(version: FileVersion) -> bool:
    """Whether ``make_thumbnail`` would try: an image or a PDF, not too large,
    not an attachment (those are never shown as thumbnails anywhere)."""
    if version.file.is_attachment:
        return False
    is_pdf = version.content_type == "application/pdf"
    return (version.is_image or is_pdf) and version.size <= THUMBNAIL_MAX_BYTES


def make_thumbnail(version: FileVersion) -> None:
    """A small WebP for an image or a PDF's first page; only once the version is available
    (a quarantined file is never decoded). Failure only means no thumbnail."""
    if not has_thumbnail_kind(version):
        return
    is_pdf = version.content_type == "application/pdf"
    from PIL import Image

    store = storage.get_file_store()
    try:
        data = b"".join(store.open(version.blob_key))
        if is_pdf:
            data = _pdf_first_page(data)
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at reduced size
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(
                out, "WEBP", quality=80
            )
        out.seek(0)
        thumb = store.save(out)
    except Exception:  # undecodable, decompression bomb, store down
        logger.warning("no thumbnail for version %s", version.pk, exc_info=True)
        return
    FileVersion.objects.filter(pk=version.pk).update(thumbnail_key=thumb.key)
    version.thumbnail_key = thumb.key


@transaction.atomic
def _record_version(
    owner: User, blob, name: str, replace: File | None, *, attached_to: str = "",
    reservation: QuotaReservation | None = None, check_quota: bool = False,
) -> FileVersion:
    if reservation is not None:
        reservation.settle()
    elif check_quota:  # an upload that held no quota (UNHELD_MAX_SIZE)
        left = settings.FILES_USER_QUOTA - _lock_quota_and_count(owner)
        if blob.size > left:
            raise _NoRoomAtRecord(left)
    now = timezone.now()
    if replace is None:
        file = File.objects.create(
            owner=owner, name=name, attached_to=attached_to, created_at=now, updated_at=now
        )
        number = 1
    else:
        file = File.objects.select_for_update().get(pk=replace.pk, owner=owner)
        number = (file.versions.order_by("-number").values_list("number", flat=True).first()) or 0
        number += 1
    scanning = settings.FILES_SCAN_ENABLED
    version = FileVersion.objects.create(
        file=file,
        number=number,
        blob_key=blob.key,
        size=blob.size,
        sha256=blob.sha256,
        content_type=detect_type(blob.head),
        uploaded_by=owner,
        uploaded_at=now,
        scan_status=FileVersion.Scan.PENDING if scanning else FileVersion.Scan.NOT_SCANNED,
    )
    file.current_version = version
    file.updated_at = now
    file.save(update_fields=["current_version", "updated_at"])
    return version


def _remove_blob_if_unused(key: str) -> None:
    if FileVersion.objects.filter(blob_key=key).exists():
        return
    try:
        storage.get_file_store().delete(key)
    except StoreError:
        logger.warning("could not remove %s; the orphan sweep will", key)


# ---- Scanning --------------------------------------------------------------


def scan_version(version_id: int) -> FileVersion:
    """Run the scanner over a stored version and record its verdict.

    A scanner that is down or a file over its limits leaves the version
    FAILED: never clean, never visible to anyone but its owner.
    """
    version = FileVersion.objects.select_related("file", "file__owner").get(pk=version_id)
    try:
        chunks = storage.get_file_store().open(version.blob_key)
        result = get_scanner().scan(chunks)
    except StoreError as exc:
        result = None
        detail = f"store: {exc.__class__.__name__}"
    if result is None:
        status, detail = FileVersion.Scan.FAILED, detail
    elif result.verdict == CLEAN:
        status, detail = FileVersion.Scan.CLEAN, ""
    elif result.verdict == INFECTED:
        status, detail = FileVersion.Scan.INFECTED, result.detail
    else:
        status, detail = FileVersion.Scan.FAILED, result.detail
    with transaction.atomic():
        FileVersion.objects.filter(pk=version.pk).update(scan_status=status, scan_detail=detail)
        version.scan_status, version.scan_detail = status, detail
        if status == FileVersion.Scan.INFECTED:
            _tell_about_infection(version)
    if version.available:
        make_thumbnail(version)
    _refresh_conversation_messages(version)
    return version


def _tell_about_infection(version: FileVersion) -> None:
    owner = version.file.owner
    # An attachment has no page in the files app: its owner gets no link.
    link = "" if version.file.is_attachment else reverse("files:detail", args=[version.file_id])
    admins = User.objects.filter(
        Q(role=User.Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True
    ).exclude(pk=owner.pk)
    for recipient in [owner, *admins]:
        notify(
            recipient,
            kind="files.infected",
            title=gettext_later("Malware found in “%(name)s”: the file is blocked",
                                name=version.file.name),
            body=gettext_later("Owner: %(owner)s. Signature: %(signature)s",
                               owner=owner.username, signature=version.scan_detail),
            link=link if recipient == owner else reverse("admin:index"),
        )


def needs_after_upload(version: FileVersion) -> bool:
    return settings.FILES_SCAN_ENABLED or (version.available and has_thumbnail_kind(version))


def after_upload(version: FileVersion) -> None:
    """What follows the answer to an upload: the scan, which makes the
    thumbnail once the file is clean, or the thumbnail alone. A thumbnail
    (reading the image back, decoding, encoding, storing) took longer than
    the rest of an upload of a photo; the file list shows a placeholder
    until it exists."""
    if settings.FILES_SCAN_ENABLED:
        scan_version(version.pk)
    elif version.available:
        make_thumbnail(version)


# ---- Sharing ---------------------------------------------------------------


def _require_shareable(file: File, by: User) -> None:
    if file.owner_id != by.pk:
        raise ShareRefused(_("Only the owner can share this file."))
    if selectors.latest_available_version(file) is None:
        raise ShareRefused(_("This file is still being checked and cannot be shared yet."))


def _announce(file: File, recipients, by: User) -> None:
    link = reverse("files:detail", args=[file.pk])
    person = in_every_language(lambda: by.display_name)
    for recipient in recipients:
        if recipient.pk == by.pk or not recipient.is_active:
            continue
        notify(
            recipient,
            kind="files.shared",
            title=gettext_later("%(person)s shared “%(name)s” with you",
                                person=person, name=file.name),
            link=link,
            actions=[{"label": gettext_later("Open"), "url": link, "style": "primary",
                      "comment": False}],
        )
        with translation.override(recipient.preferred_language):
            html = render_to_string(
                "files/partials/file_row.html",
                {"file": file, "viewer": recipient, "shared": True},
            )
        events.publish(events.FILES_SHARED, to=recipient.pk, file_id=file.pk, html=html)


@transaction.atomic
def share_with_users(file: File, users, by: User) -> list[Share]:
    _require_shareable(file, by)
    created = []
    for user in users:
        if user.pk == file.owner_id:
            continue
        if Share.objects.filter(file=file, user=user, revoked_at__isnull=True).exists():
            continue
        created.append(Share.objects.create(file=file, user=user, created_by=by))
        audit.record(audit.Action.SHARE, actor=by, obj=file, detail={"with_user": user.username})
    _announce(file, [share.user for share in created], by)
    return created


@transaction.atomic
def share_with_directorates(file: File, directorates, by: User) -> list[Share]:
    _require_shareable(file, by)
    created = []
    for directorate in directorates:
        if Share.objects.filter(
            file=file, directorate=directorate, revoked_at__isnull=True
        ).exists():
            continue
        created.append(Share.objects.create(file=file, directorate=directorate, created_by=by))
        audit.record(
            audit.Action.SHARE, actor=by, obj=file, detail={"with_directorate": directorate.code}
        )
    members = User.objects.filter(
        directorate__in=[share.directorate for share in created], is_active=True
    )
    _announce(file, members, by)
    return created


def _conversation_version(file: File) -> FileVersion:
    """The version a conversation gets: the current one, even while it is
    being checked (the message says so until the scan ends); never a blocked one."""
    version = file.current_version
    if version is not None and version.scan_status == FileVersion.Scan.PENDING:
        return version
    version = selectors.latest_available_version(file)
    if version is None:
        raise ShareRefused(_("This file is blocked or could not be checked: it cannot be shared."))
    return version


def share_with_conversation(file: File, conversation_id, by: User) -> Share:
    """Share with a chat conversation the owner belongs to: its members may
    download the file while they are members, and an attachment message
    appears in the conversation, live. A refusal records nothing."""
    if file.owner_id != by.pk:
        raise ShareRefused(_("Only the owner can share this file."))
    try:
        conversation_id = integrations.require_member(by, conversation_id)
    except integrations.NotAMember as exc:
        raise ShareRefused(exc.message) from None
    with transaction.atomic():
        file = File.objects.select_related("current_version").get(pk=file.pk)
        version = _conversation_version(file)
        # One share per attachment message: each message follows its own scan.
        share = Share(file=file, conversation_id=conversation_id, created_by=by)
        try:
            share.message_id = integrations.post_attachment(
                by, conversation_id, integrations.attachment(file, version)
            )
        except integrations.NotAMember as exc:
            raise ShareRefused(exc.message) from None
        share.save()
        audit.record(
            audit.Action.SHARE, actor=by, obj=file,
            detail={"with_conversation": conversation_id},
        )
    return share


def _refresh_conversation_messages(version: FileVersion) -> None:
    """A scan ended: the attachment messages showing this version change live
    ("being checked" becomes a link and thumbnail, or "blocked")."""
    data = integrations.attachment(version.file, version)
    for message_id in Share.objects.filter(
        file_id=version.file_id, conversation_id__isnull=False, message_id__isnull=False
    ).values_list("message_id", flat=True):
        integrations.update_attachment(message_id, data)


def _share_recipients(share: Share):
    if share.user_id:
        return [share.user]
    if share.directorate_id:
        return list(User.objects.filter(directorate_id=share.directorate_id, is_active=True))
    return []


@transaction.atomic
def revoke_share(share: Share, by: User) -> None:
    if share.file.owner_id != by.pk:
        raise ShareRefused(_("Only the owner can revoke a share."))
    if share.revoked_at is not None:
        return
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    audit.record(audit.Action.UNSHARE, actor=by, obj=share.file, detail={"share": share.pk})
    if share.message_id:
        integrations.remove_attachment(share.message_id, share.file_id)
    for user in _share_recipients(share):
        if not selectors.can_view(user, share.file):
            events.publish(events.FILES_REMOVED, to=user.pk, file_id=share.file_id)


def delete_file(file: File, by: User) -> None:
    """The owner deletes a file: every share ends at once, unused bytes go."""
    if file.owner_id != by.pk:
        raise ShareRefused(_("Only the owner can delete this file."))
    with transaction.atomic():
        recipients = {
            user.pk
            for share in selectors.active_shares_of(file)
            for user in _share_recipients(share)
        }
        keys = set(file.versions.values_list("blob_key", flat=True))
        file_id = file.pk
        messages = list(
            file.shares.filter(message_id__isnull=False).values_list("message_id", flat=True)
        )
        audit.record(audit.Action.DELETE, actor=by, obj=file)
        File.objects.filter(pk=file_id).update(current_version=None)
        file.delete()
        for user_id in recipients:
            events.publish(events.FILES_REMOVED, to=user_id, file_id=file_id)
        for message_id in messages:
            integrations.remove_attachment(message_id, file_id)
        # Content may be shared with other files (same hash): remove only what
        # no version references any more, once the delete is committed.
        transaction.on_commit(lambda: [_remove_blob_if_unused(key) for key in keys])


# ---- Orphans ---------------------------------------------------------------


def sweep_orphans(*, dry_run: bool = False, grace_seconds: int = 3600) -> dict:
    """Remove objects no version references, and versions whose object is gone.

    Temporary objects from interrupted uploads count as orphans, and quota
    holds of uploads that can no longer be running are dropped. Objects
    younger than ``grace_seconds`` are left alone: an upload may be writing
    them or about to record them. Returns what was found (and removed
    unless ``dry_run``).
    """
    store = storage.get_file_store()
    stored = set(store.keys())
    referenced = selectors.referenced_keys()
    cutoff = time.time() - grace_seconds
    orphan_objects = sorted(
        key for key in stored if key not in referenced and store.modified(key) <= cutoff
    )
    missing = sorted(referenced - stored)
    dangling = list(
        FileVersion.objects.filter(blob_key__in=missing).values_list("pk", flat=True)
    )
    # Quota held by uploads whose process died: it no longer counts; drop it.
    stale = UploadReservation.objects.exclude(
        pk__in=selectors.live_reservations().values("pk")
    )
    stale_holds = stale.count()
    if not dry_run:
        stale.delete()
        for key in orphan_objects:
            store.delete(key)
        with transaction.atomic():
            affected = set(
                FileVersion.objects.filter(pk__in=dangling).values_list("file_id", flat=True)
            )
            FileVersion.objects.filter(pk__in=dangling).delete()
            for file in File.objects.filter(pk__in=affected):
                latest = file.versions.order_by("-number").first()
                if latest is None:
                    file.delete()
                elif file.current_version_id != latest.pk:
                    file.current_version = latest
                    file.save(update_fields=["current_version"])
    return {"objects": orphan_objects, "versions": dangling, "reservations": stale_holds}


def sweep_abandoned_uploads(*, older_than: timedelta, dry_run: bool = False) -> list[str]:
    """Abort the multipart uploads begun more than ``older_than`` ago and never
    finished (a worker killed between parts, a store that failed mid-upload
    and could not be told): their parts take space and are no object. Only
    object storage has them. Returns their keys."""
    store = storage.get_file_store()
    if not isinstance(store, storage.S3FileStore):
        return []
    abandoned = store.abandoned_uploads(older_than)
    if not dry_run:
        for key, upload_id in abandoned:
            store.abort_upload(key, upload_id)
    return [key for key, _ in abandoned]
