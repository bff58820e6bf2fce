"""The lifecycle of an application: the only code that writes its state.

    draft -> submitted -> in review (step k) -> completed (approved) | rejected
                             |  \\-> returned for correction --(resubmit)--> step k
                             \\-> suspended --(resume)--> step k
    cancelled (withdrawn by the applicant)    expired (draft or correction past its time)

Every move is one transaction: the application row is locked
(select_for_update), the stage and version the actor was shown are checked,
the row is written with a compare-and-set on ``version``, a RequestTransition
and the matching entry of the hash-chained timeline are appended, and the
listeners (notifications, live events, which publish on commit) run.

On PostgreSQL the row lock makes a second decider wait and then see the new
stage; on SQLite (no row locks) the database-wide write lock serialises
writers and the compare-and-set refuses the loser; a writer that hits
"database is locked" retries (re-reading the stage, so it then gets the clear
"already decided" message).

The service-norm clock (clock.py) runs only while the ministry holds the
ball: it stops when the application is returned or suspended and the step's
deadline moves back by the stopped time when it comes back.
"""

from __future__ import annotations

import datetime
import random
import time

from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from collab import audit

from . import clock, policies, routing
from . import timeline as timeline_log
from .models import (
    FINAL_STAGES,
    ApplicantKind,
    Request,
    RequestTransition,
    RequestType,
    Stage,
    TimelineEntry,
)
from .registry import TRANSITION_LISTENERS, hooks_for

LOCK_RETRIES = 5
# What a correction may name.
CORRECTION_KINDS = {"document_missing", "document_incorrect", "document_outdated", "text"}


class WorkflowError(Exception):
    """A refused move, with a message for the person who tried it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class DecisionConflict(WorkflowError):
    """Someone else decided first (or a double click)."""


class NotDecider(PermissionDenied):
    pass


# ---- Machinery ---------------------------------------------------------------------


def _retrying(move):
    """Run ``move`` again when SQLite refused a colliding writer."""
    for attempt in range(LOCK_RETRIES):
        try:
            return move()
        except OperationalError as exc:
            # SQLite only: two writers collided and both may have been refused.
            # Retrying re-reads the stage: the loser then gets "already decided".
            if "locked" not in str(exc).lower():
                raise
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
    raise DecisionConflict(
        _("Someone else is deciding this request right now. Reload to see the outcome.")
    )


def _locked(request_id: int) -> Request:
    return (
        Request.objects.select_for_update(of=("self",))
        .select_related("request_type", "requester", "requester__manager", "current_step")
        .get(pk=request_id)
    )


FIELDS = ("stage", "step_position", "current_step", "assignee", "decider", "version",
          "updated_at", "stage_entered_at", "due_at", "clock_stopped_at",
          "correction_deadline", "correction_items", "expires_at", "expiry_notice_at",
          "decided_at")


def _write(request: Request, old_version: int) -> None:
    """Compare-and-set: without row locks (SQLite) this is what refuses the loser."""
    request.version = old_version + 1
    request.updated_at = timezone.now()
    fields = {name: getattr(request, name) for name in FIELDS}
    if not Request.objects.filter(pk=request.pk, version=old_version).update(**fields):
        raise DecisionConflict(already_decided_message(request))


# Decision-type moves the audit log keeps (who, from where), whichever app's
# view or service made them: recorded here, in the move's transaction, so a
# refused or rolled-back move leaves no entry.
AUDITED = {
    RequestTransition.Action.APPROVED: "approve",
    RequestTransition.Action.COMPLETED: "approve",
    RequestTransition.Action.REJECTED: "reject",
    RequestTransition.Action.RETURNED: "return",
    RequestTransition.Action.FORWARDED: "forward",
    RequestTransition.Action.SUSPENDED: "suspend",
    RequestTransition.Action.RESUMED: "resume",
}


def _audit(request: Request, actor, decision: str, step: int | None, **detail) -> None:
    audit.record(audit.Action.DECISION, actor=actor, obj=request,
                 detail={"decision": decision, "step": step, "stage": request.stage, **detail})


def _record(request, action, from_stage, actor, comment="", on_behalf_of=None,
            payload_extra: dict | None = None, audit_step: int | None = None):
    """Append the transition and its timeline entry; ``audit_step`` (the step
    position the actor decided on) marks an officer's decision for the audit log."""
    if audit_step is not None and action in AUDITED:
        _audit(request, actor, AUDITED[action], audit_step)
    transition = RequestTransition(
        request=request, action=action, from_stage=from_stage, to_stage=request.stage,
        actor=actor, on_behalf_of=on_behalf_of, comment=comment,
    )
    transition.save()
    timeline_log.record_transition(request, transition)
    if payload_extra:
        timeline_log.append(request, TimelineEntry.Kind.DEADLINE, actor=actor,
                            payload=payload_extra)
    return transition


def _announce(request, transition):
    for listener in TRANSITION_LISTENERS:
        listener(request, transition)


def _finish(request: Request, stage: str) -> None:
    request.stage = stage
    request.step_position = 0
    request.current_step = None
    request.assignee = None
    request.decider = ""
    request.decided_at = timezone.now()
    request.correction_deadline = None
    request.expires_at = None
    clock.clear(request)


def _enter_step(request: Request, after: int, approver=None) -> None:
    """Move to the first applicable step after position ``after`` (or complete);
    ``approver`` is approving the current step right now."""
    found = routing.next_step(request, after, approver=approver)
    if found is None:
        _finish(request, Stage.COMPLETED)
        return
    position, step = found
    request.stage = step.stage
    request.step_position = position
    request.current_step = step
    request.decider = step.decider
    clock.start_step(request, step)
    people, _acting_for = routing.deciders_of_step(step, request)
    request.assignee = people[0] if len(people) == 1 else None


def _resume_step(request: Request) -> None:
    """Back to the step that returned or suspended it; the clock restarts."""
    step = request.current_step
    request.stage = step.stage
    request.decider = step.decider
    clock.restart(request)


def already_decided_message(request: Request) -> str:
    last = request.transitions.exclude(action=RequestTransition.Action.SUBMITTED).last()
    if last is None:
        return _("This request has already moved on. Reload to see where it is.")
    return _("Already decided: %(action)s by %(who)s on %(when)s.") % {
        "action": last.get_action_display().lower(),
        "who": last.actor.display_name if last.actor else _("the system"),
        "when": date_format(timezone.localtime(last.at), "SHORT_DATETIME_FORMAT"),
    }


def _check_offer(request: Request, expected_step: int | None, stages=None) -> None:
    """The actor acts on what they were shown: same step, still at a stage that allows it."""
    stages = stages if stages is not None else {request.current_step.stage} if (
        request.current_step_id) else set()
    if request.stage in FINAL_STAGES or request.stage not in stages or (
        expected_step is not None and expected_step != request.step_position
    ):
        raise DecisionConflict(already_decided_message(request))


# ---- Starting and submitting -----------------------------------------------------------


def start(request_type: RequestType, requester, *, comment: str = "", draft: bool = False,
          applicant_directorate=None, applicant_organisation=None) -> Request:
    """Create an application (a draft, or one about to be submitted). Call inside
    a transaction; the family's rows are written next, then ``submit``."""
    kind = request_type.applicant_kind
    if kind == ApplicantKind.DIRECTORATE and applicant_directorate is None:
        applicant_directorate = requester.directorate
        if applicant_directorate is None:
            raise WorkflowError(_("Only a member of a directorate can file for it."))
    if kind == ApplicantKind.ORGANISATION and applicant_organisation is None:
        raise WorkflowError(_("Choose the organisation you apply for."))
    if kind == ApplicantKind.ORGANISATION and not requester.organisations.filter(
            pk=applicant_organisation.pk).exists():
        raise PermissionDenied(_("You do not act for this organisation."))
    request = Request.objects.create(
        request_type=request_type, requester=requester, comment=comment,
        stage=Stage.DRAFT if draft else Stage.SUBMITTED, applicant_kind=kind,
        applicant_directorate=applicant_directorate if kind == ApplicantKind.DIRECTORATE
        else None,
        applicant_organisation=applicant_organisation if kind == ApplicantKind.ORGANISATION
        else None,
    )
    if draft:
        request.expires_at = timezone.now() + datetime.timedelta(
            days=request_type.draft_expiry_days)
        Request.objects.filter(pk=request.pk).update(expires_at=request.expires_at)
    return request


def submit(request: Request, actor=None) -> None:
    """Record the submission and enter the first step (after the family's rows exist)."""
    actor = actor or request.requester
    if request.stage == Stage.DRAFT:
        request.expires_at = None
    transition = _record(request, RequestTransition.Action.SUBMITTED, "", actor,
                         request.comment)
    previous = request.stage
    _enter_step(request, 0)
    old_version = request.version
    _write(request, old_version)
    if request.stage == Stage.COMPLETED:
        hooks_for(request).on_completed(request, actor, {})
        transition = _record(request, RequestTransition.Action.COMPLETED, previous, actor)
    _announce(request, transition)


def submit_draft(request_id: int, user, *, check=None) -> Request:
    """The applicant submits their draft; ``check(request)`` (the caller's
    checks of a first submission: checklist, family rules) runs under the lock."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        if not policies.can_act(user, request, "submit"):
            if not policies.can_view(user, request):
                raise policies.NotVisible
            raise WorkflowError(_("This draft can no longer be submitted."))
        if check is not None:
            check(request)
        submit(request, user)
        return request

    return _retrying(move)


# ---- Deciding ------------------------------------------------------------------------


def decide(request_id: int, user, *, approve: bool, comment: str = "",
           expected_step: int | None = None, extra: dict | None = None) -> Request:
    """Approve or reject the current step. Exactly one decision per step wins."""
    return _retrying(lambda: _decide(request_id, user, approve=approve, comment=comment,
                                     expected_step=expected_step, extra=extra or {}))


@transaction.atomic
def _decide(request_id, user, *, approve, comment, expected_step, extra):
    request = _locked(request_id)
    _check_offer(request, expected_step)
    people, acting_for = routing.deciders(request)
    if user.pk == request.requester_id or not any(p.pk == user.pk for p in people):
        raise NotDecider(_("You are not the person who decides this request."))
    step = request.current_step
    if not step.allows("approve" if approve else "reject"):
        raise WorkflowError(_("This action is not allowed at this step."))
    refusal = hooks_for(request).check_decision(request, step, approve)
    if refusal:
        raise WorkflowError(refusal)
    from_stage, from_position = request.stage, request.step_position
    old_version = request.version
    if approve:
        _enter_step(request, request.step_position, approver=user)
        action = RequestTransition.Action.APPROVED
    else:
        _finish(request, Stage.REJECTED)
        action = RequestTransition.Action.REJECTED
    if request.stage == Stage.COMPLETED:
        # May raise WorkflowError (e.g. balance exceeded): the whole decision rolls back.
        hooks_for(request).on_completed(request, user, extra)
    _write(request, old_version)
    if request.stage == Stage.COMPLETED and approve:
        action = RequestTransition.Action.COMPLETED
    _announce(request, _record(request, action, from_stage, user, comment, acting_for,
                               audit_step=from_position))
    return request


def forward(request_id: int, user, *, to_position: int, comment: str = "",
            expected_step: int | None = None) -> Request:
    """Send the application on to a later step without deciding this one
    (to the committee, to the director), when the step allows it."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        _check_offer(request, expected_step)
        if not policies.can_act(user, request, "forward"):
            raise NotDecider(_("You may not forward this request."))
        steps = routing.steps_of(request.request_type)
        if not request.step_position < to_position <= len(steps):
            raise WorkflowError(_("Choose a later step."), field="to_position")
        from_stage, old_version = request.stage, request.version
        from_position = request.step_position
        _enter_step(request, to_position - 1)
        if request.stage == Stage.COMPLETED:
            raise WorkflowError(_("Choose a later step."), field="to_position")
        _write(request, old_version)
        _announce(request, _record(request, RequestTransition.Action.FORWARDED, from_stage,
                                   user, comment, audit_step=from_position))
        return request

    return _retrying(move)


# ---- Corrections ---------------------------------------------------------------------


def _clean_items(request: Request, items: list[dict]) -> list[dict]:
    if not items:
        raise WorkflowError(_("Say what must be corrected."), field="items")
    requirement_ids = set(request.request_type.documents.values_list("pk", flat=True))
    cleaned = []
    for item in items:
        kind = item.get("kind")
        if kind not in CORRECTION_KINDS:
            raise WorkflowError(_("Unknown kind of correction."), field="items")
        text = (item.get("text") or "").strip()[:1000]
        document = item.get("document")
        if kind == "text":
            if not text:
                raise WorkflowError(_("Say what must be corrected."), field="items")
            document = None
        else:
            try:
                document = int(document)
            except (TypeError, ValueError):
                document = None
            if document not in requirement_ids:
                raise WorkflowError(_("Choose a document of this procedure."), field="items")
        cleaned.append({"kind": kind, "document": document, "text": text})
    return cleaned


def return_for_correction(request_id: int, user, *, items: list[dict], comment: str = "",
                          expected_step: int | None = None, days: int | None = None) -> Request:
    """Hand the application back to the applicant with the list of what to fix
    and a deadline; the service-norm clock stops."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        _check_offer(request, expected_step)
        if not policies.can_act(user, request, "return"):
            if routing.can_decide(user, request):
                raise WorkflowError(_("This action is not allowed at this step."))
            raise NotDecider(_("You are not the person who decides this request."))
        cleaned = _clean_items(request, items)
        from_stage, old_version = request.stage, request.version
        now = timezone.now()
        request.stage = Stage.RETURNED
        request.correction_items = cleaned
        request.correction_deadline = (
            None if days else hooks_for(request).correction_deadline(request)
        ) or now + datetime.timedelta(days=days or request.request_type.correction_days)
        request.expires_at = request.correction_deadline
        request.expiry_notice_at = None
        clock.stop(request, now)
        _write(request, old_version)
        _announce(request, _record(
            request, RequestTransition.Action.RETURNED, from_stage, user, comment,
            payload_extra={"deadline": request.correction_deadline.isoformat(),
                           "items": cleaned},
            audit_step=request.step_position,
        ))
        return request

    return _retrying(move)


def resubmit(request_id: int, user, *, comment: str = "", documents: dict | None = None,
             write=None) -> Request:
    """The applicant answers a correction: only what was named may change
    (``documents``: requirement id -> what the caller attaches, checked here;
    ``write(request)`` stores them in this transaction). The application
    resumes at the step that returned it and the clock restarts."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        if not policies.is_applicant(user, request):
            if not policies.can_view(user, request):
                raise policies.NotVisible
            raise PermissionDenied(_("Only the applicant can answer a correction."))
        if request.stage != Stage.RETURNED:
            raise DecisionConflict(_("This request is not waiting for a correction."))
        if request.correction_deadline and request.correction_deadline < timezone.now():
            raise WorkflowError(_("The time to correct this request is over."))
        named = {item["document"] for item in request.correction_items
                 if item.get("document")}
        given = set((documents or {}).keys())
        if given - named:
            raise WorkflowError(_("Only the documents named in the correction can change."),
                                field="documents")
        missing = {item["document"] for item in request.correction_items
                   if item["kind"] == "document_missing"} - given
        if missing:
            raise WorkflowError(_("Attach every document asked for."), field="documents")
        wants_text = any(item["kind"] == "text" for item in request.correction_items)
        if wants_text and not comment.strip():
            raise WorkflowError(_("Answer the correction asked for."), field="comment")
        if write is not None:
            write(request)
        from_stage, old_version = request.stage, request.version
        _resume_step(request)
        request.correction_deadline = None
        request.correction_items = []
        request.expires_at = None
        _write(request, old_version)
        _announce(request, _record(request, RequestTransition.Action.RESUBMITTED, from_stage,
                                   user, comment))
        return request

    return _retrying(move)


# ---- Suspending ----------------------------------------------------------------------


def suspend(request_id: int, user, *, comment: str = "",
            expected_step: int | None = None) -> Request:
    @transaction.atomic
    def move():
        request = _locked(request_id)
        _check_offer(request, expected_step)
        if not policies.can_act(user, request, "suspend"):
            raise NotDecider(_("You may not suspend this request."))
        if not comment.strip():
            raise WorkflowError(_("Say why the request is suspended."), field="comment")
        from_stage, old_version = request.stage, request.version
        request.stage = Stage.SUSPENDED
        clock.stop(request)
        _write(request, old_version)
        _announce(request, _record(request, RequestTransition.Action.SUSPENDED, from_stage,
                                   user, comment, audit_step=request.step_position))
        return request

    return _retrying(move)


def resume(request_id: int, user, *, comment: str = "") -> Request:
    @transaction.atomic
    def move():
        request = _locked(request_id)
        if request.stage != Stage.SUSPENDED:
            raise DecisionConflict(already_decided_message(request))
        if not policies.can_act(user, request, "resume"):
            raise NotDecider(_("You may not resume this request."))
        from_stage, old_version = request.stage, request.version
        _resume_step(request)
        _write(request, old_version)
        _announce(request, _record(request, RequestTransition.Action.RESUMED, from_stage,
                                   user, comment, audit_step=request.step_position))
        return request

    return _retrying(move)


# ---- Withdrawing, expiring ---------------------------------------------------------------


def can_cancel(user, request: Request) -> bool:
    if not policies.is_applicant(user, request) or (
        request.stage in FINAL_STAGES - {Stage.COMPLETED}
    ):
        return False
    custom = hooks_for(request).can_cancel
    if custom is not None:
        return custom(request)
    # Default: only before anyone decided.
    return request.stage != Stage.COMPLETED and not request.transitions.filter(
        action__in=[RequestTransition.Action.APPROVED, RequestTransition.Action.COMPLETED,
                    RequestTransition.Action.REJECTED]
    ).exists()


def cancel(request_id: int, user, comment: str = "") -> Request:
    """The applicant withdraws the application."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        if not policies.is_applicant(user, request):
            raise PermissionDenied(_("Only the requester can cancel a request."))
        if not can_cancel(user, request):
            raise WorkflowError(_("This request can no longer be cancelled."))
        from_stage, old_version = request.stage, request.version
        _finish(request, Stage.CANCELLED)
        _write(request, old_version)
        hooks_for(request).on_cancelled(request, user, from_stage)
        _announce(request, _record(request, RequestTransition.Action.CANCELLED, from_stage,
                                   user, comment))
        return request

    return _retrying(move)


withdraw = cancel


def expire(now: datetime.datetime | None = None, *, notify=None) -> dict:
    """Drafts and unanswered corrections past their time expire; those close to
    it get one notice first (``notify(request)``). Run periodically."""
    now = now or timezone.now()
    waiting = Request.objects.filter(stage__in=[Stage.DRAFT, Stage.RETURNED],
                                     expires_at__isnull=False)
    expired = 0
    for request_id in waiting.filter(expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            request = _locked(request_id)
            if request.stage not in (Stage.DRAFT, Stage.RETURNED) or (
                    request.expires_at is None or request.expires_at > now):
                continue
            from_stage, old_version = request.stage, request.version
            _finish(request, Stage.EXPIRED)
            _write(request, old_version)
            _announce(request, _record(request, RequestTransition.Action.EXPIRED,
                                       from_stage, None))
            expired += 1
    noticed = 0
    candidates = waiting.filter(expires_at__gt=now, expiry_notice_at__isnull=True) \
        .select_related("request_type", "requester")
    for request in candidates:
        notice = datetime.timedelta(days=request.request_type.expiry_notice_days)
        if request.expires_at - notice > now:
            continue
        if Request.objects.filter(pk=request.pk, expiry_notice_at__isnull=True).update(
                expiry_notice_at=now):
            with transaction.atomic():
                locked = _locked(request.pk)
                timeline_log.append(locked, TimelineEntry.Kind.DEADLINE, payload={
                    "notice": "expires_soon", "expires_at": locked.expires_at.isoformat()})
            if notify is not None:
                notify(request)
            noticed += 1
    return {"expired": expired, "noticed": noticed}


# ---- Assignment ----------------------------------------------------------------------


def _assign(request: Request, actor, officer, *, reason: str = "") -> None:
    Request.objects.filter(pk=request.pk).update(assignee=officer)
    request.assignee = officer
    timeline_log.append(request, TimelineEntry.Kind.ASSIGNMENT, actor=actor, public=False,
                        payload={"officer": officer.pk, **({"reason": reason} if reason else {})})
    _audit(request, actor, "assign", request.step_position, officer=officer.pk)


def assign(request_id: int, user, officer) -> Request:
    """An officer of the current step takes the application (or gives it to a
    colleague of the step); an administrator may give it to any of them."""

    @transaction.atomic
    def move():
        request = _locked(request_id)
        if request.stage in FINAL_STAGES:
            raise DecisionConflict(already_decided_message(request))
        people, _acting_for = routing.deciders(request)
        ids = {p.pk for p in people}
        if user.pk not in ids and not user.is_administrator:
            raise NotDecider(_("You are not the person who decides this request."))
        if officer is None or officer.pk not in ids:
            raise WorkflowError(_("This person does not decide this step."), field="officer")
        _assign(request, user, officer)
        return request

    return _retrying(move)


def hand_over_to_acting_manager(manager, acting_manager) -> list[Request]:
    """A delegation starting now: the applications already waiting for
    ``manager``'s decision go to ``acting_manager`` (who routing now names)."""
    from .models import Decider

    waiting = Request.objects.filter(decider=Decider.DIRECT_MANAGER, requester__manager=manager) \
        .exclude(stage__in=FINAL_STAGES).values_list("pk", flat=True)
    moved = []
    for request_id in list(waiting):
        with transaction.atomic():
            request = _locked(request_id)
            if request.stage in FINAL_STAGES or request.assignee_id == acting_manager.pk:
                continue
            people, _acting_for = routing.deciders(request)
            if not any(p.pk == acting_manager.pk for p in people):
                continue
            _assign(request, manager, acting_manager, reason="delegation")
            moved.append(request)
    return moved
