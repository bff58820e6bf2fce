"""Reads of the files app. Access is decided here, at request time."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from collab.audit import Concealed

from .integrations import conversation_ids_for
from .models import File, FileVersion, Share, UploadReservation
from .naming import KINDS

SORTS = {
    "recent": ("-updated_at", "-id"),
    "oldest": ("updated_at", "id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "size": ("current_version__size", "id"),
    "-size": ("-current_version__size", "-id"),
}


def _available_version_exists():
    return Exists(
        FileVersion.objects.filter(file=OuterRef("pk"), scan_status__in=FileVersion.AVAILABLE)
    )


def active_shares_for(user) -> QuerySet[Share]:
    target = Q(user=user)
    if user.directorate_id:
        target |= Q(directorate_id=user.directorate_id)
    # Checked against chat's memberships now: removal ends access at once.
    target |= Q(conversation_id__in=conversation_ids_for(user))
    return Share.objects.filter(target, revoked_at__isnull=True)


def shared_with(user) -> QuerySet[File]:
    """Files others shared with ``user`` that someone besides the owner may see."""
    shared = active_shares_for(user).filter(file=OuterRef("pk"))
    return (
        documents()
        .filter(Exists(shared), _available_version_exists())
        .exclude(owner=user)
        .select_related("owner", "current_version")
    )


def documents():
    """Files of My files; attachments are reached only through their record."""
    return File.objects.filter(attached_to="")


def owned_by(user) -> QuerySet[File]:
    return documents().filter(owner=user).select_related("current_version")


def directorate_files(directorate_id: int) -> QuerySet[File]:
    shared = Share.objects.filter(
        file=OuterRef("pk"), directorate_id=directorate_id, revoked_at__isnull=True
    )
    return documents().filter(Exists(shared), _available_version_exists()).select_related(
        "owner", "current_version"
    )


def filter_files(files: QuerySet[File], q: str = "", kind: str = "", sort: str = "") -> QuerySet:
    if q:
        files = files.filter(name__icontains=q.strip())
    if kind in KINDS:
        match = Q()
        for prefix in KINDS[kind]:
            match |= Q(current_version__content_type__startswith=prefix)
        files = files.filter(match)
    return files.order_by(*SORTS.get(sort, SORTS["recent"]))


def can_view(user, file: File) -> bool:
    if file.owner_id == user.pk:
        return True
    return active_shares_for(user).filter(file=file).exists()


def visible_file(user, file_id: int) -> File:
    """The file if ``user`` may see it now; 404 otherwise (never 403: no probing)."""
    file = documents().select_related("owner", "current_version").filter(pk=file_id).first()
    if file is None:
        raise Http404
    if not can_view(user, file):
        raise Concealed  # the same 404, recorded in the audit log
    if file.owner_id != user.pk and latest_available_version(file) is None:
        raise Http404  # quarantined or blocked: downloadable by no one else
    return file


def owned_file(user, file_id: int) -> File:
    file = documents().select_related("current_version").filter(pk=file_id, owner=user).first()
    if file is None:
        # Someone else's file: the same 404, recorded as a denied access.
        raise Concealed if documents().filter(pk=file_id).exists() else Http404
    return file


def latest_available_version(file: File) -> FileVersion | None:
    return file.versions.filter(scan_status__in=FileVersion.AVAILABLE).order_by("-number").first()


def versions_for(user, file: File) -> QuerySet[FileVersion]:
    versions = file.versions.all()
    if file.owner_id != user.pk:
        versions = versions.filter(scan_status__in=FileVersion.AVAILABLE)
    return versions.order_by("-number")


def version_for_download(user, file_id: int, number: int | None) -> tuple[File, FileVersion]:
    file = visible_file(user, file_id)
    versions = versions_for(user, file)
    if user.pk != file.owner_id:
        version = versions.filter(number=number).first() if number else versions.first()
    else:
        version = versions.filter(number=number).first() if number else file.current_version
        if version is not None and version.scan_status == FileVersion.Scan.INFECTED:
            version = None  # blocked even for its owner
    if version is None:
        raise Http404
    return file, version


def counted_versions(user) -> QuerySet[FileVersion]:
    """The versions the user's quota counts."""
    # Attachments are bounded by their app's per-file limit, not the quota:
    # their owner cannot delete them from My files.
    return FileVersion.objects.filter(file__owner=user, file__attached_to="")


def used_bytes(user) -> int:
    total = counted_versions(user).aggregate(total=Sum("size"))["total"]
    return total or 0


def total_size(rows: QuerySet):
    """The sum of the rows' ``size`` (0 for none) as an expression, to be read
    within another query."""
    total = Func(F("size"), function="SUM", output_field=BigIntegerField())
    return Coalesce(Subquery(rows.order_by().values(total=total)), 0,
                    output_field=BigIntegerField())


def live_reservations():
    since = timezone.now() - datetime.timedelta(seconds=settings.FILES_RESERVATION_SECONDS)
    return UploadReservation.objects.filter(updated_at__gt=since)


def holds_of(user, exclude: int | None = None) -> QuerySet[UploadReservation]:
    """The user's uploads in progress (their quota holds)."""
    holds = live_reservations().filter(user=user)
    if exclude is not None:
        holds = holds.exclude(pk=exclude)
    return holds


def quota_in_use(user, exclude_hold: int | None = None) -> int:
    """Bytes the user's quota counts now (stored versions and live holds but
    ``exclude_hold``), in one statement. Written as SQL because an upload
    runs it once or twice: the ORM's compilation of the same two subqueries
    was about 1 ms of CPU each time, as much as the round trip."""
    from django.db import connection

    quote = connection.ops.quote_name
    since = timezone.now() - datetime.timedelta(seconds=settings.FILES_RESERVATION_SECONDS)
    version, file, hold = (quote(m._meta.db_table) for m in (FileVersion, File, UploadReservation))
    sql = (
        f"SELECT COALESCE((SELECT SUM(v.size) FROM {version} v INNER JOIN {file} f"
        f" ON f.id = v.file_id WHERE f.owner_id = %s AND f.attached_to = ''), 0)"
        f" + COALESCE((SELECT SUM(h.size) FROM {hold} h WHERE h.user_id = %s"
        f" AND h.updated_at > %s AND h.id <> %s), 0)"
    )
    params = [user.pk, user.pk, connection.ops.adapt_datetimefield_value(since),
              -1 if exclude_hold is None else exclude_hold]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def held_bytes(user, exclude: int | None = None) -> int:
    """Quota held by the user's uploads in progress."""
    return holds_of(user, exclude).aggregate(total=Sum("size"))["total"] or 0


def active_shares_of(file: File) -> QuerySet[Share]:
    return file.shares.filter(revoked_at__isnull=True).select_related("user", "directorate")


def referenced_keys() -> set[str]:
    keys = set(FileVersion.objects.values_list("blob_key", flat=True).distinct())
    keys.update(
        FileVersion.objects.exclude(thumbnail_key="").values_list("thumbnail_key", flat=True)
    )
    return keys


def attachment_version_for(user, version: FileVersion | None) -> FileVersion:
    """``version`` of an attachment if ``user`` may fetch it, once the owning
    app has granted access to its record; 404 otherwise.

    Same rule as My files: a version still being checked (or that could not
    be checked) reaches only its owner; an infected one reaches no one.
    """
    if version is None or version.scan_status == FileVersion.Scan.INFECTED:
        raise Http404
    if not version.available and version.file.owner_id != user.pk:
        raise Http404
    return version
