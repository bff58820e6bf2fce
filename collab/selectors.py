"""Reads of the core app."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Directorate, Notification, User


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def last_notification_id(user: User) -> int:
    return (
        Notification.objects.filter(recipient=user).order_by("-pk").values_list("pk", flat=True)
        .first()
        or 0
    )


def recent_notifications(user: User, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")[:limit]


def notifications_after(user: User, after_id: int, limit: int = 50) -> list[Notification]:
    return list(
        Notification.objects.filter(recipient=user, pk__gt=after_id).order_by("pk")[:limit]
    )


def search_staff(
    query: str = "", directorate_id: int | None = None, title: str = ""
) -> QuerySet[User]:
    people = User.objects.filter(is_active=True).select_related("directorate", "manager")
    for word in query.split():
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(full_name_ar__icontains=word)
            | Q(username__icontains=word)
            | Q(email__icontains=word)
        )
    if directorate_id:
        people = people.filter(directorate_id=directorate_id)
    if title:
        people = people.filter(job_title__icontains=title)
    return people.order_by("last_name", "first_name", "username")


def directorates() -> QuerySet[Directorate]:
    return Directorate.objects.select_related("parent").order_by("kind", "name_fr")
