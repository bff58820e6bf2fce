"""E-mail digests for staff who are away: what has waited unread, in one message.

Each app says what waits for someone through a section function listed in
COLLAB_DIGEST_SECTIONS: ``(user, cutoff) -> DigestSection | None``, with the
items that have waited since before ``cutoff`` (chat: mentions and direct
messages; requests: approvals). A person's delay is their ``digest_hours``
(profile page; 0 = never).

A digest goes out when something new has waited long enough since the last
one, and at most once per delay period: someone away for a week gets one
e-mail a day (with a one-day delay), not one per run. It lists everything
still waiting, in the person's language, with absolute links
(COLLAB_PUBLIC_URL). ``manage.py send_digests`` runs the pass (cron or the
docker ``digests`` service). Each person is claimed by a conditional update
before sending, so two passes at once never send the same digest twice; a
failed send gives the claim back for the next pass.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

from .models import User

logger = logging.getLogger(__name__)

# Items listed per section; the rest are counted ("and 3 more").
SHOWN_PER_SECTION = 10


@dataclass
class DigestItem:
    text: str
    url: str  # a path on the intranet; made absolute when rendered
    at: datetime  # since when it waits


@dataclass
class DigestSection:
    title: str
    items: list[DigestItem]
    total: int = 0  # all waiting items, when more than ``items`` were fetched

    def __post_init__(self):
        self.total = max(self.total, len(self.items))

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass
class Digest:
    user: User
    sections: list[DigestSection] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(section.total for section in self.sections)

    def has_news_since(self, moment: datetime | None) -> bool:
        return any(moment is None or item.at > moment
                   for section in self.sections for item in section.items)


def absolute(path: str) -> str:
    return path if "://" in path else f"{settings.COLLAB_PUBLIC_URL}{path}"


def digest_for(user: User, now: datetime) -> Digest:
    """What has waited for ``user`` longer than their delay, in their language."""
    cutoff = now - timedelta(hours=user.digest_hours)
    digest = Digest(user)
    with translation.override(user.preferred_language):
        for path in settings.COLLAB_DIGEST_SECTIONS:
            section = import_string(path)(user, cutoff)
            if section is not None and section.total:
                section.items = section.items[:SHOWN_PER_SECTION]
                digest.sections.append(section)
    return digest


def candidates(now: datetime):
    """People who want digests and whose last one is older than their delay."""
    # Staff only: press companies' accounts get the press space's own mail.
    people = (User.objects.filter(is_active=True, is_external=False, digest_hours__gt=0)
              .exclude(email=""))
    # One query per delay choice: the delay is each person's own.
    due = Q(pk__in=[])
    for hours in User.DigestDelay.values:
        if hours:
            due |= Q(digest_hours=hours) & (
                Q(digest_sent_at__isnull=True)
                | Q(digest_sent_at__lte=now - timedelta(hours=hours)))
    return people.filter(due).order_by("pk")


def render(digest: Digest) -> EmailMultiAlternatives:
    user = digest.user
    with translation.override(user.preferred_language):
        count = digest.count
        subject = ngettext(
            "%(count)d thing waits for you on the intranet",
            "%(count)d things wait for you on the intranet", count,
        ) % {"count": count}
        context = {
            "person": user, "sections": digest.sections, "count": count,
            "site": settings.COLLAB_PUBLIC_URL,
            "preferences": absolute(reverse("profile_edit")),
            "rtl": translation.get_language_bidi(),
            "absolute": absolute,
        }
        for section in digest.sections:
            for item in section.items:
                item.url = absolute(item.url)
        text = render_to_string("collab/email/digest.txt", context)
        html = render_to_string("collab/email/digest.html", context)
    message = EmailMultiAlternatives(subject, text, to=[user.email])
    message.attach_alternative(html, "text/html")
    return message


def send_digest(user: User, now: datetime) -> bool:
    """Sends ``user`` their digest if one is due; True when sent."""
    digest = digest_for(user, now)
    if not digest.count or not digest.has_news_since(user.digest_sent_at):
        return False
    previous = user.digest_sent_at
    claimed = User.objects.filter(pk=user.pk, digest_sent_at=previous) if previous else \
        User.objects.filter(pk=user.pk, digest_sent_at__isnull=True)
    if not claimed.update(digest_sent_at=now):
        return False  # another pass took this person
    try:
        render(digest).send()
    except (smtplib.SMTPException, OSError):
        # The mail server refused or is down: give the claim back, so the next
        # pass tries again instead of waiting a whole delay period.
        User.objects.filter(pk=user.pk, digest_sent_at=now).update(digest_sent_at=previous)
        logger.exception("digest for %s not sent", user.username)
        return False
    user.digest_sent_at = now
    return True


def send_digests(now: datetime | None = None) -> tuple[int, int]:
    """One pass over everyone due: (sent, failed or nothing new)."""
    now = now or timezone.now()
    sent = skipped = 0
    for user in candidates(now).iterator(chunk_size=200):
        if send_digest(user, now):
            sent += 1
        else:
            skipped += 1
    return sent, skipped
