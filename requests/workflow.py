"""The generic workflow engine.

A request enters ``submitted``, then walks through its type's steps
(manager decision, HR processing...) to ``completed``; a decider can reject it
(``rejected``), the requester can withdraw it (``cancelled``). Every move is an
append-only RequestTransition. Families (leave, certificates, social services,
or a later portal's own) plug in through ``register_family`` hooks; nothing in
here knows about them.

Concurrency: a decision locks the request row (select_for_update), checks the
stage and version it was offered, and writes with a compare-and-set on
``version``. On PostgreSQL the row lock makes the second decider wait and then
see the new stage; on SQLite (no row locks) the database-wide write lock
serialises writers and the compare-and-set refuses the loser; a writer that
hits "database is locked" retries (re-reading the stage, so it then gets the
clear "already decided" message).
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    FINAL_STAGES,
    SOCIAL_AFFAIRS_GROUP,
    Decider,
    Delegation,
    Request,
    RequestTransition,
    RequestType,
    Stage,
    WorkflowStep,
)

User = get_user_model()
LOCK_RETRIES = 5


class WorkflowError(Exception):
    """A refused move, with a message for the person who tried it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DecisionConflict(WorkflowError):
    """Someone else decided first (or a double click)."""


class NotDecider(PermissionDenied):
    pass


@dataclass
class FamilyHooks:
    # Extra checks/writes when the last step is approved, in the decision's transaction.
    on_completed: Callable[[Request, object, dict], None] = lambda request, actor, extra: None
    # Whether the requester may still cancel (default: before any decision).
    can_cancel: Callable[[Request], bool] | None = None
    # (request, actor, stage it was cancelled from)
    on_cancelled: Callable[[Request, object, str], None] = lambda request, actor, stage: None


FAMILIES: dict[str, FamilyHooks] = {}
# Callables (user, day) -> bool telling the engine a manager is away that day.
ABSENCE_PROVIDERS: list[Callable[[object, datetime.date], bool]] = []
# Called after every transition of any family (notifications, live events).
TRANSITION_LISTENERS: list[Callable[[Request, RequestTransition], None]] = []


def register_family(name: str, hooks: FamilyHooks) -> None:
    FAMILIES[name] = hooks


def hooks_for(request: Request) -> FamilyHooks:
    return FAMILIES.get(request.request_type.family, FamilyHooks())


# ---- Who decides ------------------------------------------------------------


def acting_manager(manager, day: datetime.date | None = None):
    """Who decides for ``manager`` on ``day``: an active delegate, else (manager on
    leave with no delegation) the manager's own manager, else the manager."""
    day = day or timezone.localdate()
    delegation = (
        Delegation.objects.filter(manager=manager, start_date__lte=day, end_date__gte=day)
        .select_related("acting_manager")
        .order_by("-created_at", "-pk")
        .first()
    )
    if delegation and delegation.acting_manager.is_active:
        return delegation.acting_manager
    if any(provider(manager, day) for provider in ABSENCE_PROVIDERS) and manager.manager_id:
        return manager.manager
    return manager


def social_affairs_officers():
    return User.objects.filter(is_active=True, groups__name=SOCIAL_AFFAIRS_GROUP)


def hr_officers():
    return User.objects.filter(is_active=True, role=User.Role.HR_OFFICER)


def current_step(request: Request) -> WorkflowStep | None:
    if request.stage in FINAL_STAGES:
        return None
    steps = request.request_type.steps_in_order()
    if 0 < request.step_position <= len(steps):
        return steps[request.step_position - 1]
    return None


def deciders(request: Request, day: datetime.date | None = None) -> tuple[list, object | None]:
    """(users who may decide the current step, the manager they act for or None)."""
    step = current_step(request)
    if step is None:
        return [], None
    if step.decider == Decider.DIRECT_MANAGER:
        manager = request.requester.manager
        if manager is None:
            return list(hr_officers()), None
        acting = acting_manager(manager, day)
        if acting.pk == request.requester_id:
            # The acting manager's own request goes to the manager they stand in for.
            acting = manager
        return [acting], (manager if acting.pk != manager.pk else None)
    if step.decider == Decider.SOCIAL_AFFAIRS_OFFICER:
        return list(social_affairs_officers()), None
    return list(hr_officers()), None


def can_decide(user, request: Request) -> bool:
    if not user.is_authenticated or user.pk == request.requester_id:
        return False
    people, _acting_for = deciders(request)
    return any(person.pk == user.pk for person in people)


def requests_awaiting(user):
    """Open requests whose current step this user may decide."""
    today = timezone.localdate()
    managed = {user.pk}
    for delegation in Delegation.objects.filter(
        acting_manager=user, start_date__lte=today, end_date__gte=today
    ):
        managed.add(delegation.manager_id)
    # Managers of my own team who are away without delegation fall back to me.
    for report in User.objects.filter(manager=user, role=User.Role.MANAGER):
        if acting_manager(report, today).pk == user.pk:
            managed.add(report.pk)
    query = Q(decider=Decider.DIRECT_MANAGER, requester__manager_id__in=managed)
    if user.role == User.Role.HR_OFFICER:
        query |= Q(decider=Decider.HR_OFFICER)
        query |= Q(decider=Decider.DIRECT_MANAGER, requester__manager__isnull=True)
    if user.groups.filter(name=SOCIAL_AFFAIRS_GROUP).exists():
        query |= Q(decider=Decider.SOCIAL_AFFAIRS_OFFICER)
    candidates = (
        Request.objects.filter(query)
        .exclude(stage__in=FINAL_STAGES)
        .exclude(requester=user)
        .select_related("request_type", "requester", "requester__manager",
                        "requester__directorate")
    )
    return [r for r in candidates if can_decide(user, r)]


# ---- Moves ----------------------------------------------------------------


def _record(request, action, from_stage, actor, comment="", on_behalf_of=None):
    transition = RequestTransition(
        request=request, action=action, from_stage=from_stage, to_stage=request.stage,
        actor=actor, on_behalf_of=on_behalf_of, comment=comment,
    )
    transition.save()
    return transition


def _announce(request, transition):
    for listener in TRANSITION_LISTENERS:
        listener(request, transition)


def _enter_step(request: Request, position: int) -> None:
    steps = request.request_type.steps_in_order()
    if position > len(steps):
        request.stage = Stage.COMPLETED
        request.step_position = 0
        request.assignee = None
        request.decider = ""
        return
    step = steps[position - 1]
    request.stage = step.stage
    request.step_position = position
    request.decider = step.decider
    people, _acting_for = deciders(request)
    request.assignee = people[0] if len(people) == 1 else None


def start(request_type: RequestType, requester, *, comment: str = "") -> Request:
    """Create a request and move it to its first step. Call inside a transaction."""
    request = Request.objects.create(
        request_type=request_type, requester=requester, comment=comment, stage=Stage.SUBMITTED
    )
    return request


def submit(request: Request) -> None:
    """Record the submission and enter the first step (after the family's rows exist)."""
    transition = _record(request, RequestTransition.Action.SUBMITTED, "", request.requester,
                         request.comment)
    previous = request.stage
    _enter_step(request, 1)
    request.version += 1
    request.updated_at = timezone.now()
    request.save()
    if request.stage == Stage.COMPLETED:
        hooks_for(request).on_completed(request, request.requester, {})
        transition = _record(request, RequestTransition.Action.COMPLETED, previous,
                             request.requester)
    _announce(request, transition)


def decide(request_id: int, user, *, approve: bool, comment: str = "",
           expected_step: int | None = None, extra: dict | None = None) -> Request:
    """Approve or reject the current step. Exactly one decision per step wins."""
    for attempt in range(LOCK_RETRIES):
        try:
            return _decide(request_id, user, approve=approve, comment=comment,
                           expected_step=expected_step, extra=extra or {})
        except OperationalError as exc:
            # SQLite only: two writers collided and both may have been refused.
            # Retrying re-reads the stage: the loser then gets "already decided".
            if "locked" not in str(exc).lower():
                raise
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))
    raise DecisionConflict(
        _("Someone else is deciding this request right now. Reload to see the outcome.")
    )


@transaction.atomic
def _decide(request_id, user, *, approve, comment, expected_step, extra):
    request = (
        Request.objects.select_for_update(of=("self",))
        .select_related("request_type", "requester", "requester__manager")
        .get(pk=request_id)
    )
    if request.stage in FINAL_STAGES or (
        expected_step is not None and expected_step != request.step_position
    ):
        raise DecisionConflict(already_decided_message(request))
    people, acting_for = deciders(request)
    if user.pk == request.requester_id or not any(p.pk == user.pk for p in people):
        raise NotDecider(_("You are not the person who decides this request."))
    from_stage = request.stage
    old_version = request.version
    if approve:
        _enter_step(request, request.step_position + 1)
        action = RequestTransition.Action.APPROVED
    else:
        request.stage = Stage.REJECTED
        request.assignee = None
        request.decider = ""
        action = RequestTransition.Action.REJECTED
    if request.stage == Stage.COMPLETED:
        # May raise WorkflowError (e.g. balance exceeded): the whole decision rolls back.
        hooks_for(request).on_completed(request, user, extra)
    request.version = old_version + 1
    request.updated_at = timezone.now()
    fields = {f: getattr(request, f) for f in
              ("stage", "step_position", "assignee", "decider", "version", "updated_at")}
    # Compare-and-set: without row locks (SQLite) this is what refuses the loser.
    if not Request.objects.filter(pk=request.pk, version=old_version).update(**fields):
        raise DecisionConflict(already_decided_message(request))
    if request.stage == Stage.COMPLETED and approve:
        action = RequestTransition.Action.COMPLETED
    _announce(request, _record(request, action, from_stage, user, comment, acting_for))
    return request


def already_decided_message(request: Request) -> str:
    last = request.transitions.exclude(action=RequestTransition.Action.SUBMITTED).last()
    if last is None:
        return _("This request has already moved on. Reload to see where it is.")
    return _("Already decided: %(action)s by %(who)s on %(when)s.") % {
        "action": last.get_action_display().lower(),
        "who": last.actor.display_name,
        "when": timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M"),
    }


def can_cancel(user, request: Request) -> bool:
    if user.pk != request.requester_id or request.stage in FINAL_STAGES - {Stage.COMPLETED}:
        return False
    custom = hooks_for(request).can_cancel
    if custom is not None:
        return custom(request)
    # Default: only before anyone decided.
    return request.stage != Stage.COMPLETED and not request.transitions.exclude(
        action=RequestTransition.Action.SUBMITTED
    ).exists()


@transaction.atomic
def cancel(request_id: int, user, comment: str = "") -> Request:
    request = Request.objects.select_for_update(of=("self",)).select_related(
        "request_type", "requester").get(pk=request_id)
    if user.pk != request.requester_id:
        raise PermissionDenied(_("Only the requester can cancel a request."))
    if not can_cancel(user, request):
        raise WorkflowError(_("This request can no longer be cancelled."))
    from_stage = request.stage
    old_version = request.version
    request.stage = Stage.CANCELLED
    request.assignee = None
    request.decider = ""
    request.version = old_version + 1
    request.updated_at = timezone.now()
    if not Request.objects.filter(pk=request.pk, version=old_version).update(
        stage=request.stage, assignee=None, decider="", version=request.version,
        updated_at=request.updated_at,
    ):
        raise DecisionConflict(already_decided_message(request))
    hooks_for(request).on_cancelled(request, user, from_stage)
    _announce(request, _record(request, RequestTransition.Action.CANCELLED, from_stage, user,
                               comment))
    return request
