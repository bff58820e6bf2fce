"""The application's one timeline: append-only and hash-chained.

Every entry's hash covers the previous entry's hash and its own content, so
changing, removing or reordering an entry breaks the chain from there on
(``manage.py verify_timeline`` finds the first broken entry). Writers hold the
application's row lock (lifecycle and services take it), which serialises the
``seq`` and ``prev_hash`` of one application's entries; the unique
(request, seq) constraint refuses any writer that did not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from .models import Request, RequestTransition, TimelineEntry
from .models_engine import chain_hash


def transition_payload(transition) -> dict:
    """What a transition entry states (also used by the data migration)."""
    return {
        "action": transition.action, "from": transition.from_stage, "to": transition.to_stage,
        "comment": transition.comment, "on_behalf_of": transition.on_behalf_of_id,
    }


def append(request: Request, kind: str, *, actor=None, public: bool = True,
           payload: dict | None = None, transition: RequestTransition | None = None,
           at=None) -> TimelineEntry:
    """Add an entry at the end of ``request``'s chain (caller holds its row lock)."""
    last = (TimelineEntry.objects.filter(request_id=request.pk)
            .order_by("-seq").values_list("seq", "hash").first())
    seq, previous = (last[0] + 1, last[1]) if last else (1, "")
    entry = TimelineEntry(
        request_id=request.pk, seq=seq, kind=kind, public=public,
        actor_id=getattr(actor, "pk", actor), transition=transition,
        payload=payload or {}, prev_hash=previous,
    )
    if at is not None:
        entry.at = at
    entry.hash = chain_hash(previous, request_id=request.pk, seq=seq, kind=kind,
                            public=public, actor_id=entry.actor_id, at=entry.at,
                            payload=entry.payload)
    entry.save()
    return entry


def record_transition(request: Request, transition: RequestTransition) -> TimelineEntry:
    return append(request, TimelineEntry.Kind.TRANSITION, actor=transition.actor_id,
                  payload=transition_payload(transition), transition=transition,
                  at=transition.at)


def entries_for(request: Request, *, officer: bool) -> QuerySet[TimelineEntry]:
    entries = TimelineEntry.objects.filter(request=request).select_related(
        "actor", "transition__on_behalf_of")
    if not officer:
        entries = entries.filter(public=True)
    return entries.order_by("seq")


@dataclass
class Break:
    entry_id: int
    request_id: int
    seq: int
    reason: str


def verify(request_ids=None, batch: int = 2000) -> Iterator[Break]:
    """Walk every chain (or those of ``request_ids``); yield the first broken
    entry of each broken chain. Reads in primary-key order of (request, seq)
    with bounded memory."""
    entries = TimelineEntry.objects.select_related("transition").order_by("request_id", "seq")
    if request_ids is not None:
        entries = entries.filter(request_id__in=request_ids)
    current, previous, expected_seq, broken = None, "", 1, False
    for entry in entries.iterator(chunk_size=batch):
        if entry.request_id != current:
            current, previous, expected_seq, broken = entry.request_id, "", 1, False
        if broken:
            continue
        reason = None
        if entry.seq != expected_seq:
            reason = f"sequence jumps from {expected_seq - 1} to {entry.seq}"
        elif entry.prev_hash != previous:
            reason = "does not follow the previous entry's hash"
        elif entry.hash != entry.expected_hash():
            reason = "content does not match its hash"
        elif entry.transition_id is not None and (
            transition_payload(entry.transition) != entry.payload
        ):
            reason = "its transition row was changed"
        if reason:
            broken = True
            yield Break(entry.pk, entry.request_id, entry.seq, reason)
        previous, expected_seq = entry.hash, entry.seq + 1
