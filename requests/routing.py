"""Who decides a step of an application.

Deciders are named relative to the applicant (their manager, their director)
or by the step (a unit's officers, a committee, a named directorate's head, HR).
Two ways to ask, which must agree: ``deciders(request)`` for one application
(exact, used when acting), and ``awaiting_filter(user)`` for lists: a handful
of queries that depend on the organisation, never on the number of
applications, then one query per page.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from .models import (
    FINAL_STAGES,
    IN_REVIEW_STAGES,
    SOCIAL_AFFAIRS_GROUP,
    ApplicantKind,
    Decider,
    Delegation,
    Request,
    RequestTransition,
    WorkflowStep,
)
from .registry import ABSENCE_PROVIDERS, hooks_for

User = get_user_model()


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


def _heads():
    """Directors: managers whose own manager is outside their directorate (or none)."""
    return User.objects.filter(is_active=True, role=User.Role.MANAGER).filter(
        Q(manager__isnull=True) | ~Q(manager__directorate_id=F("directorate_id"))
    )


def director_of_directorate(directorate_id):
    if directorate_id is None:
        return None
    return _heads().filter(directorate_id=directorate_id).order_by("pk").first()


def directorates_headed_by(user) -> list[int]:
    if not user.directorate_id or user.role != User.Role.MANAGER:
        return []
    head = director_of_directorate(user.directorate_id)
    return [user.directorate_id] if head is not None and head.pk == user.pk else []


def steps_of(request_type) -> list[WorkflowStep]:
    return list(request_type.steps.prefetch_related("rules").order_by("position", "pk"))


def current_step(request: Request) -> WorkflowStep | None:
    if request.stage in FINAL_STAGES or not request.step_position:
        return None
    if request.current_step_id:
        return request.current_step
    steps = request.request_type.steps_in_order()
    if 0 < request.step_position <= len(steps):
        return steps[request.step_position - 1]
    return None


def step_applies(step: WorkflowStep, request: Request, facts: dict | None = None) -> bool:
    rules = list(step.rules.all())
    if not rules:
        return True
    facts = hooks_for(request).facts(request) if facts is None else facts
    return all(rule.holds(facts) for rule in rules)


def deciders_of_step(step: WorkflowStep, request: Request,
                     day: datetime.date | None = None) -> tuple[list, object | None]:
    """(users who may decide ``step`` of ``request``, the manager they act for or None)."""
    requester = request.requester
    if step.decider == Decider.DIRECT_MANAGER:
        manager = requester.manager
        if manager is None:
            return list(hr_officers()), None
        acting = acting_manager(manager, day)
        if acting.pk == request.requester_id:
            # The acting manager's own request goes to the manager they stand in for.
            acting = manager
        return [acting], (manager if acting.pk != manager.pk else None)
    if step.decider == Decider.DIRECTOR:
        if request.applicant_kind == ApplicantKind.DIRECTORATE:
            head = director_of_directorate(request.applicant_directorate_id)
        else:
            head = director_of_directorate(requester.directorate_id)
            if head is not None and head.pk == requester.pk:
                # A director's own application goes up to their manager.
                head = requester.manager
        return ([head] if head is not None else list(hr_officers())), None
    if step.decider == Decider.UNIT_DIRECTOR:
        head = director_of_directorate(step.unit_id)
        return ([head] if head is not None else []), None
    if step.decider in (Decider.UNIT_OFFICERS, Decider.COMMITTEE):
        return list(User.objects.filter(is_active=True, groups=step.group_id)), None
    if step.decider == Decider.SOCIAL_AFFAIRS_OFFICER:
        return list(social_affairs_officers()), None
    return list(hr_officers()), None


def deciders(request: Request, day: datetime.date | None = None) -> tuple[list, object | None]:
    """(users who may decide the current step, the manager they act for or None)."""
    if request.stage not in IN_REVIEW_STAGES:
        return [], None
    step = current_step(request)
    if step is None:
        return [], None
    return deciders_of_step(step, request, day)


def can_decide(user, request: Request) -> bool:
    if not user.is_authenticated or user.pk == request.requester_id:
        return False
    people, _acting_for = deciders(request)
    return any(person.pk == user.pk for person in people)


def next_step(request: Request, after: int, steps: list[WorkflowStep] | None = None,
              approver=None):
    """The first step after position ``after`` that applies to ``request`` (its
    routing rules hold, and its only decider has not already approved an
    earlier step: nobody approves the same application twice), or None."""
    steps = steps_of(request.request_type) if steps is None else steps
    facts = hooks_for(request).facts(request)
    approvers = None
    for index, step in enumerate(steps, start=1):
        if index <= after or not step_applies(step, request, facts):
            continue
        people, _acting_for = deciders_of_step(step, request)
        if len(people) == 1 and request.pk:
            if approvers is None:
                approvers = set(RequestTransition.objects.filter(
                    request_id=request.pk,
                    action__in=[RequestTransition.Action.APPROVED,
                                RequestTransition.Action.COMPLETED],
                ).values_list("actor_id", flat=True))
                if approver is not None:
                    approvers.add(approver.pk)
            if people[0].pk in approvers:
                continue
        return index, step
    return None


# ---- Lists: one filter for "waiting for this user's decision" ------------------


def _absent(users, day) -> set[int]:
    """Pks of ``users`` away on ``day`` by any absence provider; one question per
    provider when it can answer for several people at once (``absent_among``)."""
    absent: set[int] = set()
    for provider in ABSENCE_PROVIDERS:
        among = getattr(provider, "absent_among", None)
        if among is not None:
            absent |= set(among([u.pk for u in users], day))
        else:
            absent |= {u.pk for u in users if provider(u, day)}
    return absent


def _deciders_around(user, day) -> tuple[set[int], int, list[int], list[int]]:
    """What the lists need to know about the people around ``user``, in one query
    (plus one for absences when someone could be replaced): the managers whose
    direct reports' applications ``user`` decides today, who decides for
    ``user`` (their pk), and the managers reporting to ``user`` who head their
    directorate, and the directorates ``user`` heads. The same answers as
    ``acting_manager`` and ``directorates_headed_by`` asked person by person."""
    from django.db.models import OuterRef, Subquery

    delegations = Delegation.objects.filter(start_date__lte=day, end_date__gte=day)
    latest = delegations.filter(manager=OuterRef("pk")).order_by("-created_at", "-pk")
    people = list(
        User.objects.filter(
            Q(pk=user.pk)
            # Managers who handed me their decisions today...
            | Q(pk__in=delegations.filter(acting_manager=user).values("manager_id"))
            # ...and managers of my own team, who fall back to me when away.
            | Q(manager=user, role=User.Role.MANAGER)
        ).annotate(
            delegate_id=Subquery(latest.values("acting_manager_id")[:1]),
            delegate_active=Subquery(latest.values("acting_manager__is_active")[:1]),
            head_id=Subquery(_heads().filter(directorate_id=OuterRef("directorate_id"))
                             .order_by("pk").values("pk")[:1]),
        ).only("pk", "manager_id", "role", "directorate_id")
    )
    maybe_away = [p for p in people if not (p.delegate_id and p.delegate_active)
                  and p.manager_id]
    away = _absent(maybe_away, day) if maybe_away else set()

    def decider(person) -> int:
        if person.delegate_id and person.delegate_active:
            return person.delegate_id
        if person.pk in away:
            return person.manager_id
        return person.pk

    deciders = {p.pk: decider(p) for p in people}
    managed = {pk for pk, decider_pk in deciders.items() if decider_pk == user.pk}
    mine = deciders.get(user.pk, user.pk)
    reports_heading = [
        p.pk for p in people
        if p.pk != user.pk and p.manager_id == user.pk and p.role == User.Role.MANAGER
        and p.directorate_id and p.head_id == p.pk
    ]
    me = next((p for p in people if p.pk == user.pk), None)
    if me is not None and me.directorate_id == user.directorate_id and me.role == user.role:
        headed = ([user.directorate_id] if user.directorate_id and user.role == User.Role.MANAGER
                  and me.head_id == user.pk else [])
    else:
        headed = directorates_headed_by(user)
    return managed, mine, reports_heading, headed


def awaiting_filter(user, day: datetime.date | None = None) -> Q:
    """A filter on Request: open applications whose current step ``user`` may
    decide. Costs a few queries about the organisation, none per application:
    a page computes it once and uses it for its list and its "may decide" flags."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    day = day or timezone.localdate()
    managed, mine, reports_heading, headed = _deciders_around(user, day)
    query = Q(decider=Decider.DIRECT_MANAGER, requester__manager_id__in=managed)
    if mine != user.pk:
        # My acting manager's own application comes back to me.
        query |= Q(decider=Decider.DIRECT_MANAGER, requester__manager_id=user.pk,
                   requester_id=mine)
    groups = dict(user.groups.values_list("pk", "name"))
    group_ids, group_names = list(groups), set(groups.values())
    hr = user.role == User.Role.HR_OFFICER
    if hr:
        query |= Q(decider=Decider.HR_OFFICER)
        query |= Q(decider=Decider.DIRECT_MANAGER, requester__manager__isnull=True)
    if SOCIAL_AFFAIRS_GROUP in group_names:
        query |= Q(decider=Decider.SOCIAL_AFFAIRS_OFFICER)
    if group_ids:
        query |= Q(decider__in=[Decider.UNIT_OFFICERS, Decider.COMMITTEE],
                   current_step__group_id__in=group_ids)
    if headed:
        query |= Q(decider=Decider.UNIT_DIRECTOR, current_step__unit_id__in=headed)
        query |= Q(decider=Decider.DIRECTOR, applicant_kind=ApplicantKind.DIRECTORATE,
                   applicant_directorate_id__in=headed)
        query |= (Q(decider=Decider.DIRECTOR) & ~Q(applicant_kind=ApplicantKind.DIRECTORATE)
                  & Q(requester__directorate_id__in=headed))
    # Directors I manage: their own applications come up to me.
    if reports_heading:
        query |= (Q(decider=Decider.DIRECTOR) & ~Q(applicant_kind=ApplicantKind.DIRECTORATE)
                  & Q(requester_id__in=reports_heading))
    if hr:
        # A director step with no director to be found falls to HR.
        query |= _director_step_without_head()
    return query & Q(stage__in=IN_REVIEW_STAGES) & ~Q(requester_id=user.pk)


def _director_step_without_head() -> Q:
    heads = list(_heads().values_list("pk", "directorate_id", "manager_id"))
    headed = [directorate for _pk, directorate, _manager in heads]
    unmanaged_heads = [pk for pk, _directorate, manager in heads if manager is None]
    return (
        (Q(decider=Decider.DIRECTOR) & ~Q(applicant_kind=ApplicantKind.DIRECTORATE)
         & Q(requester_id__in=unmanaged_heads))
        | (Q(decider=Decider.DIRECTOR, applicant_kind=ApplicantKind.DIRECTORATE)
         & ~Q(applicant_directorate_id__in=headed))
        | (Q(decider=Decider.DIRECTOR) & ~Q(applicant_kind=ApplicantKind.DIRECTORATE)
           & ~Q(requester__directorate_id__in=headed))
    )


def awaiting(user):
    """Queryset of the applications waiting for ``user``'s decision (one query per page)."""
    return Request.objects.filter(awaiting_filter(user))
