"""Who the live urgent announcements are addressed to, cached for every page.

Every page shows the reader's unacknowledged urgent announcements, and almost
always there is none for them: asking the database each time cost a query
with two subqueries on every page. The cache holds, for each published urgent
announcement not yet expired, its audience (everyone, or directorate ids) and
its expiry. A page first matches the reader against it in memory and asks
the database only about the announcements addressed to the reader (which
re-checks everything: the cache can only narrow what is asked).

It is shared by every process (the ``announcements`` cache: Redis), so a
change shows on the next page of every worker. The list is kept under a
version number; every write that can change it moves the version on, at once
(this process's next page sees its own change) and again on commit (a page
of another process may have read the list between the two): saves and
deletions (signals, the admin included), audience changes, and the
services' conditional updates (publication, withdrawal). A list read before
a change is stored under the old version, which nobody asks for any more.
Expiry needs nothing: each entry carries its expiry and a page leaves out
what has expired. The timeout only bounds the life of a list after a write
that bypasses all of these (an ``UPDATE`` typed by hand).
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

TIMEOUT = 3600


@dataclass(frozen=True)
class Live:
    pk: int
    everyone: bool
    directorates: frozenset
    expires_at: object  # datetime or None

    def addressed_to(self, directorate_id, now) -> bool:
        return (self.expires_at is None or self.expires_at > now) and (
            self.everyone or directorate_id in self.directorates)


def _version_key() -> str:
    # One list per database: processes (and test workers) on other databases
    # may share the Redis server.
    return f"urgent-live:{connection.settings_dict['NAME']}"


def _list_key(version) -> str:
    return f"{_version_key()}:{version}"


def _new_version() -> int:
    # Random, not 1: a version key lost from Redis must not bring back the
    # lists stored under the old numbers.
    return secrets.randbelow(2**62)


def _from_database(now) -> list[Live]:
    from .models import Announcement

    rows = list(
        Announcement.objects.filter(state=Announcement.State.PUBLISHED,
                                    priority=Announcement.Priority.URGENT)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .values_list("pk", "to_all_staff", "expires_at")
    )
    targets: dict[int, set] = {}
    if any(not everyone for _pk, everyone, _expires in rows):
        through = Announcement.target_directorates.through
        for announcement_id, directorate_id in through.objects.filter(
            announcement_id__in=[pk for pk, everyone, _expires in rows if not everyone]
        ).values_list("announcement_id", "directorate_id"):
            targets.setdefault(announcement_id, set()).add(directorate_id)
    return [Live(pk, everyone, frozenset(targets.get(pk, ())), expires)
            for pk, everyone, expires in rows]


# The list this process read last, per database: (version, when, list). A page
# then reads only the version from Redis (one small value) while nothing changes.
_last_read: dict[str, tuple[int, float, list[Live]]] = {}


def live() -> list[Live]:
    """The published urgent announcements that had not expired when the list
    was made (check ``expires_at`` again: ``Live.addressed_to`` does)."""
    cache = caches["announcements"]
    database = connection.settings_dict["NAME"]
    try:
        version = cache.get(_version_key())
        if version is None:
            cache.add(_version_key(), _new_version(), None)
            version = cache.get(_version_key())
        last = _last_read.get(database)
        if (version is not None and last is not None and last[0] == version
                and time.monotonic() - last[1] < TIMEOUT):
            return last[2]
        found = cache.get(_list_key(version)) if version is not None else None
    except Exception:  # noqa: BLE001 - an unreachable cache must not fail the page
        logger.warning("urgent announcements cache unreachable", exc_info=True)
        return _from_database(timezone.now())
    if found is None:
        # Read after the version: a change committed meanwhile has moved the
        # version on, so this list, if stale, is stored where nobody looks.
        found = _from_database(timezone.now())
        if version is not None:
            try:
                cache.set(_list_key(version), found, TIMEOUT)
            except Exception:  # noqa: BLE001
                logger.warning("urgent announcements cache unreachable", exc_info=True)
    if version is not None:
        _last_read[database] = (version, time.monotonic(), found)
    return found


def addressed_to(directorate_id, now=None) -> list[int]:
    now = now or timezone.now()
    return [item.pk for item in live() if item.addressed_to(directorate_id, now)]


def forget() -> None:
    """Move the version on now (this process's next page reads the change made
    in its own transaction) and again on commit (a page of another process may
    have read the list again meanwhile, without the change)."""
    _next_version()
    transaction.on_commit(_next_version)


def _next_version() -> None:
    cache = caches["announcements"]
    try:
        try:
            cache.incr(_version_key())
        except ValueError:  # no version yet (or lost): any new one will do
            cache.set(_version_key(), _new_version(), None)
    except Exception:  # noqa: BLE001
        logger.warning("urgent announcements cache unreachable", exc_info=True)
