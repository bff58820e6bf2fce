"""Applications waiting for someone's decision, for the e-mail digest (collab/digests.py)."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from collab.digests import SHOWN_PER_SECTION, DigestItem, DigestSection

from . import routing


def approvals(user, cutoff) -> DigestSection | None:
    waiting = (
        routing.awaiting(user)
        .annotate(waiting_since=Coalesce("stage_entered_at", "created_at"))
        .filter(Q(waiting_since__lte=cutoff))
    )
    rows = list(waiting.select_related("request_type", "requester")
                .order_by("-waiting_since", "-pk")[:SHOWN_PER_SECTION])
    if not rows:
        return None
    items = [DigestItem(f"{r} — {r.requester.display_name}", r.get_absolute_url(),
                        r.waiting_since) for r in rows]
    return DigestSection(_("Waiting for your decision"), items, waiting.count())
