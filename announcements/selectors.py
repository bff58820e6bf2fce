"""Reads of announcements."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from collab.models import Directorate, User

from . import policies
from .models import Announcement, Attachment, Image, Receipt


def _addressed_to(user: User) -> Q:
    addressed = Q(to_all_staff=True)
    if user.directorate_id:
        through = Announcement.target_directorates.through
        addressed |= Q(
            pk__in=through.objects.filter(directorate_id=user.directorate_id).values(
                "announcement_id"
            )
        )
    return addressed


def published_for(user: User) -> QuerySet[Announcement]:
    """Every published announcement addressed to this user, expired ones included."""
    mine = Receipt.objects.filter(announcement=OuterRef("pk"), user=user)
    return (
        Announcement.objects.filter(_addressed_to(user), state=Announcement.State.PUBLISHED)
        .annotate(
            is_read=Exists(mine),
            is_acknowledged=Exists(mine.filter(acknowledged_at__isnull=False)),
        )
        .select_related("author")
    )


def _live(qs: QuerySet, now=None) -> QuerySet:
    now = now or timezone.now()
    return qs.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def search(qs: QuerySet[Announcement], text: str) -> QuerySet[Announcement]:
    text = (text or "").strip()
    if not text:
        return qs
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        # "simple" configuration: Arabic and French share the column and
        # PostgreSQL ships no Arabic stemmer.
        return qs.annotate(
            search_vector=SearchVector("search_text", config="simple")
        ).filter(search_vector=SearchQuery(text, config="simple", search_type="websearch"))
    for word in text.split():
        qs = qs.filter(search_text__icontains=word)
    return qs


def _filtered(qs, category="", directorate_id=None, text=""):
    if category:
        qs = qs.filter(category=category)
    if directorate_id:
        qs = qs.filter(target_directorates=directorate_id)
    return search(qs, text)


def feed(user: User, category="", directorate_id=None, text="") -> QuerySet[Announcement]:
    """The feed: live announcements, pinned first, then newest."""
    qs = _filtered(_live(published_for(user)), category, directorate_id, text)
    return qs.order_by("-pinned", "-published_at", "-pk")


def latest_for(user: User, limit: int) -> list[Announcement]:
    """The first ``limit`` of the feed for a summary (home): whether each is
    read, and nothing the lines do not show (no author, no acknowledgement)."""
    mine = Receipt.objects.filter(announcement=OuterRef("pk"), user=user)
    return list(
        _live(Announcement.objects.filter(_addressed_to(user),
                                          state=Announcement.State.PUBLISHED))
        .annotate(is_read=Exists(mine))
        .order_by("-pinned", "-published_at", "-pk")[:limit]
    )


def archive(user: User, category="", directorate_id=None, text="") -> QuerySet[Announcement]:
    """Everything published to the user, expired included, newest first."""
    qs = _filtered(published_for(user), category, directorate_id, text)
    return qs.order_by("-published_at", "-pk")


def authored_by(user: User) -> QuerySet[Announcement]:
    qs = Announcement.objects.all() if user.is_administrator else user.announcements.all()
    return qs.select_related("author").order_by("-created_at", "-pk")


def for_reader(user: User, pk: int) -> Announcement:
    """The announcement if the user may open it; 404 otherwise (never reveal it exists)."""
    announcement = published_for(user).filter(pk=pk).first()
    if announcement is not None:
        return announcement
    announcement = Announcement.objects.filter(pk=pk).select_related("author").first()
    if announcement is not None and policies.can_manage(user, announcement):
        return announcement
    raise Http404


def for_manager(user: User, pk: int) -> Announcement:
    announcement = Announcement.objects.filter(pk=pk).select_related("author").first()
    if announcement is None:
        raise Http404
    return announcement


def unacknowledged_urgent(user: User) -> list[Announcement]:
    """The banners of every page. Usually no query at all: the live urgent
    announcements' audiences are cached (announcements.urgent); the database
    is asked only about those addressed to this user."""
    from . import urgent

    candidates = urgent.addressed_to(user.directorate_id)
    if not candidates:
        return []
    acknowledged = set(Receipt.objects.filter(
        user=user, announcement_id__in=candidates, acknowledged_at__isnull=False,
    ).values_list("announcement_id", flat=True))
    candidates = [pk for pk in candidates if pk not in acknowledged]
    if not candidates:
        return []
    return list(
        _live(published_for(user))
        .filter(pk__in=candidates, priority=Announcement.Priority.URGENT, is_acknowledged=False)
        .order_by("-published_at")[:5]
    )


def audience(announcement: Announcement) -> QuerySet[User]:
    people = User.objects.filter(is_active=True, is_external=False)
    if announcement.to_all_staff:
        return people
    return people.filter(
        directorate_id__in=announcement.target_directorates.values("pk")
    )


def attachment_for(user: User, announcement_pk: int, pk: int) -> Attachment:
    announcement = for_reader(user, announcement_pk)
    attachments = announcement.attachments.select_related("file__current_version")
    attachment = attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def image_for(user: User, pk: int) -> Image:
    """An image of an announcement's text, for whoever may read that announcement;
    one not yet in a saved text, for its uploader only. 404 otherwise."""
    image = Image.objects.select_related("file__current_version").filter(pk=pk).first()
    if image is None:
        raise Http404
    if image.announcement_id is not None:
        for_reader(user, image.announcement_id)
    elif image.uploaded_by_id != user.pk:
        raise Http404
    return image


def receipt_stats(announcement: Announcement, pending_limit: int = 200) -> dict:
    """Read and acknowledged counts per directorate, and who has not acknowledged yet.

    For a normal announcement "pending" means not read; for an urgent one, not
    acknowledged.
    """
    people = audience(announcement)
    receipts = Receipt.objects.filter(announcement=announcement, user=OuterRef("pk"))
    per_directorate = (
        people.annotate(
            has_read=Exists(receipts),
            has_ack=Exists(receipts.filter(acknowledged_at__isnull=False)),
        )
        .values("directorate_id")
        .annotate(
            total=Count("pk"),
            read=Count("pk", filter=Q(has_read=True)),
            acknowledged=Count("pk", filter=Q(has_ack=True)),
        )
        .order_by()
    )
    rows = list(per_directorate)
    ids = [r["directorate_id"] for r in rows]
    names = {d.pk: d for d in Directorate.objects.filter(pk__in=ids)}
    for row in rows:
        row["directorate"] = names.get(row["directorate_id"])
    rows.sort(key=lambda r: (str(r["directorate"] or ""),))
    if announcement.is_urgent:
        pending_qs = people.exclude(
            pk__in=Receipt.objects.filter(
                announcement=announcement, acknowledged_at__isnull=False
            ).values("user_id")
        )
    else:
        pending_qs = people.exclude(
            pk__in=Receipt.objects.filter(announcement=announcement).values("user_id")
        )
    pending_qs = pending_qs.select_related("directorate").order_by(
        "directorate__name_fr", "last_name", "first_name"
    )
    totals = {
        "total": sum(r["total"] for r in rows),
        "read": sum(r["read"] for r in rows),
        "acknowledged": sum(r["acknowledged"] for r in rows),
    }
    return {
        "rows": rows,
        "totals": totals,
        "pending": list(pending_qs[:pending_limit]),
        "pending_count": pending_qs.count(),
        "pending_qs": pending_qs,
    }


def stats_watchers(announcement: Announcement) -> list[tuple[int, str]]:
    """(user id, language) of whoever sees the live counts: author and administrators."""
    watchers = User.objects.filter(is_active=True).filter(
        Q(pk=announcement.author_id) | Q(role=User.Role.ADMINISTRATOR) | Q(is_superuser=True)
    )
    return list(watchers.values_list("pk", "preferred_language"))
