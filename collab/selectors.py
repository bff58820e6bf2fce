"""Reads of the core app."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from . import events
from .models import Directorate, Notification, User


def unread_sql(recipient: str) -> str:
    """A subquery: the unread notifications of the user whose id is the SQL
    expression ``recipient`` (``%s``, or a column of an outer query), counted
    from the index notif_recipient_unread. Plain SQL: every sync, every page's
    bell and every socket handshake counts them, and the ORM's count() cost
    about five times the query."""
    meta, qn = Notification._meta, connection.ops.quote_name
    return (f"(SELECT COUNT(*) FROM {qn(meta.db_table)}"
            f" WHERE {qn(meta.get_field('recipient').column)} = {recipient}"
            f" AND {qn(meta.get_field('read_at').column)} IS NULL)")


def unread_count(user: User) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {unread_sql('%s')}", [user.pk])
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class SocketOpening:
    """What a socket handshake reads: its login, then, for a signed-in user,
    whether a second factor is still owed, its groups and its unread count."""

    session: object
    user: object  # User, or AnonymousUser
    needs_code: bool = False
    groups: list[str] = field(default_factory=list)
    unread: int = 0


def socket_opening(session_key: str | None) -> SocketOpening:
    """Everything a socket reads before it is accepted, in one call (so one
    thread hop per handshake). The consumer decides; this only reads."""
    from .socket_auth import load_login, quick_login
    from .two_factor import session_needs_code

    quick = quick_login(session_key)
    if quick is not None:
        session, user, unread = quick.session, quick.user, quick.unread
        has_device = quick.has_confirmed_device
    else:
        session, user = load_login(session_key)
        unread = has_device = None
    if not user.is_authenticated or not user.is_active:
        return SocketOpening(session, user)
    if session_needs_code(user, session, has_confirmed_device=has_device):
        return SocketOpening(session, user, needs_code=True)
    groups = [events.group_name(events.Audience.USER, user.pk)]
    if session.session_key:
        groups.append(events.group_name(events.Audience.SESSION, session.session_key))
    # An external account (press space) hears nothing of the intranet: no
    # directorate, no all-staff or conversation group, only its own.
    external = getattr(user, "is_external", False)
    if user.directorate_id and not external:
        groups.append(events.group_name(events.Audience.DIRECTORATE, user.directorate_id))
    # Apps add the groups a user belongs to (e.g. chat: one per conversation).
    providers = (settings.COLLAB_EXTERNAL_SOCKET_GROUP_PROVIDERS if external
                 else settings.COLLAB_SOCKET_GROUP_PROVIDERS)
    for provider in providers:
        groups.extend(g for g in import_string(provider)(user) if g not in groups)
    if unread is None:
        unread = unread_count(user)
    return SocketOpening(session, user, groups=groups, unread=unread)


def bell(user: User) -> tuple[int, int]:
    """(unread notifications, the latest notification's id or 0): what the header
    of every page shows, in one round trip. The same answers as
    ``unread_count`` and ``last_notification_id``, each from its index."""
    # Plain SQL: the two ORM queries cost more to build than to run.
    quote, meta = connection.ops.quote_name, Notification._meta
    table = quote(meta.db_table)
    recipient = quote(meta.get_field("recipient").column)
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {unread_sql('%s')},"
            f" (SELECT MAX({pk}) FROM {table} WHERE {recipient} = %s)",
            [user.pk, user.pk],
        )
        unread, last = cursor.fetchone()
    return unread, last or 0


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

    sections = {
        "announcements": announcements.latest_for(user, HOME_LIMIT),
        "awaiting": procedures.awaiting_decision(user, HOME_LIMIT),
        "my_requests": procedures.my_recent_requests(user, HOME_LIMIT),
        "conversations": chat.unread_conversations(user, HOME_LIMIT),
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


PICKER_LIMIT = 10


def _name_matches(words: list[str], names: list[str]) -> bool:
    """Every query word starts a word of the names, both folded as chat search
    folds them, the Arabic article dropped ("ادريسي" finds "الإدريسي"); a word
    with punctuation ("h.lefevre") also matches as a whole, or by its parts."""
    from chat.text import index_text, search_terms

    name_words: set[str] = set()
    for name in names:
        if name:
            indexed = index_text(name)
            name_words.update(indexed.split())
            name_words.update(re.findall(r"\w+", indexed))

    def starts(term: str) -> bool:
        return any(w.startswith(term) for w in name_words)

    return all(
        starts(word) or ((parts := search_terms(word)) and all(starts(p) for p in parts))
        for word in words
    )


def _query_words(query: str) -> list[str]:
    from chat.text import fold

    return [w.lstrip("@") for w in fold(query).split() if w.lstrip("@")][:5]


def pick_people(query: str, limit: int = PICKER_LIMIT, exclude_id: int | None = None) -> list[User]:
    """Active staff whose user name or full name (Arabic or Latin script) has
    words starting with every word of the query, folded as chat search folds
    (alef forms, ta marbuta, accents, case). The database narrows the rows on
    the folded names kept by ``User.save`` (a word starting with each term,
    or more where its regex sees Arabic letters as non-word); Python then
    checks each candidate exactly, in name order, until ``limit`` are found."""
    from chat.text import search_terms

    words = _query_words(query)
    if not words:
        return []
    rows = User.objects.filter(is_active=True, is_external=False)
    for word in words:
        for term in search_terms(word) or [word]:
            rows = rows.filter(search_name__regex=r"(^|\W)" + re.escape(term))
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    rows = (rows.order_by("last_name", "first_name", "username")
            .values_list("pk", "username", "first_name", "last_name", "full_name_ar"))
    found: list[int] = []
    for pk, username, first, last, full_ar in rows.iterator(chunk_size=500):
        if _name_matches(words, [username, first, last, full_ar]):
            found.append(pk)
            if len(found) >= limit:
                break
    people = User.objects.select_related("directorate").in_bulk(found)
    return [people[pk] for pk in found if pk in people]


def pick_directorates(
    query: str = "", kind: str = "", limit: int = PICKER_LIMIT
) -> list[Directorate]:
    """Directorates whose Arabic or French name or code matches every word of
    the query (folded); with ``kind`` and no query, every directorate of that
    kind (the "all regional directorates" shortcut), unlimited."""
    rows = directorates()
    if kind:
        rows = rows.filter(kind=kind)
    words = _query_words(query)
    if not words:
        return list(rows) if kind else []
    found = [d for d in rows if _name_matches(words, [d.name_ar, d.name_fr, d.code])]
    return found[:limit]
