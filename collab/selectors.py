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
    # Staff only: press companies' accounts have no directory entry.
    people = (User.objects.filter(is_active=True, is_external=False)
              .select_related("directorate", "manager"))
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
        # Found in whichever language it is typed in, as it is shown in each.
        people = people.filter(Q(job_title__icontains=title) | Q(job_title_ar__icontains=title)
                               | Q(job_title_en__icontains=title))
    return people.order_by("last_name", "first_name", "username")


def directorates() -> QuerySet[Directorate]:
    return Directorate.objects.select_related("parent").order_by("kind", "name_fr")


def audit_entries(
    *, user: str = "", action: str = "", date_from=None, date_to=None, obj: str = ""
) -> QuerySet:
    """Audit entries, newest first, filtered as the auditor asked. Dates are
    whole local days, both ends included."""
    import datetime

    from django.utils import timezone

    from .models import AuditEntry

    entries = AuditEntry.objects.all()
    if user.strip():
        entries = entries.filter(username__iexact=user.strip())
    if action:
        entries = entries.filter(action=action)
    if date_from:
        start = datetime.datetime.combine(date_from, datetime.time.min)
        entries = entries.filter(at__gte=timezone.make_aware(start))
    if date_to:
        end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min)
        entries = entries.filter(at__lt=timezone.make_aware(end))
    obj = obj.strip()
    if obj:
        label, _sep, pk = obj.partition(":")
        if pk and "." in label:
            entries = entries.filter(object_type=label.lower(), object_id=pk.strip())
        else:
            entries = entries.filter(
                Q(object_type=obj.lower()) | Q(object_id=obj) | Q(object_repr__icontains=obj)
            )
    return entries.order_by("-at", "-id")


HOME_LIMIT = 5


def home_sections(user: User) -> dict:
    """What the home page shows: a few rows from each app, a bounded query each.

    The apps are imported here, not at module level: the core app must load
    before them. A section with nothing in it renders the shared empty state."""
    from announcements import selectors as announcements
    from chat import selectors as chat
    from requests import selectors as procedures
    from requests.models import Stage

    sections = {
        "announcements": list(announcements.feed(user)[:HOME_LIMIT]),
        "awaiting": procedures.awaiting_decision(user, HOME_LIMIT),
        "my_requests": list(
            procedures.my_requests(user).exclude(stage=Stage.DRAFT)
            .prefetch_related(None)[:HOME_LIMIT]
        ),
        "conversations": [item for item in chat.conversations_for(user) if item.unread][
            :HOME_LIMIT
        ],
        "training": upcoming_training(user),
    }
    return sections


def upcoming_training(user: User) -> list:
    """The user's next live training sessions; nothing when training is not installed."""
    from django.apps import apps

    if not apps.is_installed("training"):
        return []
    from training.selectors import my_upcoming_sessions

    return list(my_upcoming_sessions(user, HOME_LIMIT))
