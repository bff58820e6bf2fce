"""What plugs into the engine: families' hooks, absence providers, transition
listeners and the issuers of verifiable documents. Procedure specifics (leave,
certificates, the press space, training) register here; the engine calls them
and knows nothing else about them."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class FamilyHooks:
    # Extra checks/writes when the last step is approved, in the decision's transaction.
    on_completed: Callable = lambda request, actor, extra: None
    # Whether the requester may still cancel (default: before any decision).
    can_cancel: Callable | None = None
    # (request, actor, stage it was cancelled from)
    on_cancelled: Callable = lambda request, actor, stage: None
    # The facts routing rules test (leave: {"days": ...}).
    facts: Callable = lambda request: {}
    # One line saying what the application asks (notifications, queues, exports).
    summary: Callable = lambda request: ""
    # Names of the fields a correction may name (besides documents and free text).
    correctable_fields: list = field(default_factory=list)
    # (request, step, approve) -> a message refusing the decision, or "" (a
    # committee step needs its minutes recorded before anyone decides it).
    check_decision: Callable = lambda request, step, approve: ""
    # (request) -> until when the applicant may answer a correction, or None
    # for the type's number of days (press cards: the campaign's completion period).
    correction_deadline: Callable = lambda request: None
    # (application, the HTTP request showing it) -> HTML of the family's own
    # pane on the application's page (a press card's facts, the committee's
    # minutes form): rendered with the HTTP request, so forms get their CSRF token.
    detail_html: Callable = lambda request, http_request: ""


@dataclass
class VerifiedDocument:
    """What the public verification page shows of an authentic document."""

    language: str
    title: str
    body: list
    facts: list
    valid: bool = True
    # Documents issued to a person (collab.documents): the holder and photo.
    holder_name: str = ""
    photo_url: str = ""
    revoked: bool = False
    expired: bool = False


FAMILIES: dict[str, FamilyHooks] = {}
# Families registered by other apps (press, training): code -> label shown in
# the admin's choice of a procedure type's family.
FAMILY_LABELS: dict = {}
# Callables (user, day) -> bool telling the engine a manager is away that day;
# one may also carry ``absent_among(user_ids, day) -> set of those away``, which
# lists use to ask about several managers in one query.
ABSENCE_PROVIDERS: list[Callable[[object, datetime.date], bool]] = []
# Called after every transition of any family (notifications, live events).
TRANSITION_LISTENERS: list[Callable] = []
# Callables code -> VerifiedDocument | None: every issuer of verifiable documents.
VERIFIERS: list[Callable] = []


def register_family(name: str, hooks: FamilyHooks, label=None) -> None:
    """Plug a family in; ``label`` (lazy text) makes it a choice of
    RequestType.family for the types an app seeds (its code: 16 characters at most)."""
    FAMILIES[name] = hooks
    if label is not None:
        FAMILY_LABELS[name] = label


def hooks_for(request) -> FamilyHooks:
    return FAMILIES.get(request.request_type.family, FamilyHooks())


def register_verifier(find: Callable) -> None:
    if find not in VERIFIERS:
        VERIFIERS.append(find)


def verify(code: str) -> VerifiedDocument | None:
    """The document issued with ``code``, whoever issued it, or None."""
    for find in VERIFIERS:
        found = find(code)
        if found is not None:
            return found
    return None
