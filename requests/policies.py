"""The one place that decides who may see, act on or comment on an application.

The services call these before any read or write of an application; views
only turn the services' answers into pages. Anyone who may not see an
application is told it does not exist (the same 404 as a missing id), so ids
cannot be probed.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from collab import audit

from . import routing
from .models import (
    FINAL_STAGES,
    SOCIAL_AFFAIRS_GROUP,
    ApplicantKind,
    Decider,
    Request,
    RequestTransition,
    RequestType,
    Stage,
    WorkflowStep,
)

User = get_user_model()

# What the applicant side may do.
APPLICANT_ACTIONS = {"withdraw", "resubmit", "submit"}
# What a decider may do (each step lists those it allows).
OFFICER_ACTIONS = {"approve", "reject", "return", "forward", "suspend", "resume"}


class NotVisible(Http404):
    """Raised for a missing application and for one the user may not see alike."""


def is_hr(user) -> bool:
    return user.is_authenticated and (user.role == User.Role.HR_OFFICER or user.is_administrator)


def is_social_officer(user) -> bool:
    return user.is_authenticated and user.groups.filter(name=SOCIAL_AFFAIRS_GROUP).exists()


def is_applicant(user, request: Request) -> bool:
    """The requester, and for the other kinds the account holders who speak for
    the applicant: the applying directorate's director, the organisation's members."""
    if not user.is_authenticated:
        return False
    if user.pk == request.requester_id:
        return True
    if request.applicant_kind == ApplicantKind.DIRECTORATE:
        return request.applicant_directorate_id in routing.directorates_headed_by(user)
    if request.applicant_kind == ApplicantKind.ORGANISATION:
        return user.organisations.filter(pk=request.applicant_organisation_id).exists()
    return False


def _officer_groups(user) -> list[int]:
    return list(user.groups.values_list("pk", flat=True))


def is_officer(user, request: Request) -> bool:
    """Sees the application as the ministry does (every timeline entry, notes)."""
    if not user.is_authenticated:
        return False
    if request.stage == Stage.DRAFT:
        return False  # a draft is the applicant's alone until submitted
    if user.is_administrator:
        return True
    staff_family = request.applicant_kind == ApplicantKind.STAFF
    if staff_family and user.role == User.Role.HR_OFFICER:
        return True
    if user.pk != request.requester_id and routing.can_decide(user, request):
        return True
    if request.transitions.filter(actor=user).exclude(
            action=RequestTransition.Action.SUBMITTED).exists():
        return True  # whoever decided a step keeps read access to it
    if staff_family and request.requester.manager_id == user.pk:
        return True
    groups = _officer_groups(user)
    if not groups:
        return False
    steps = WorkflowStep.objects.filter(request_type_id=request.request_type_id)
    if is_social_officer(user) and steps.filter(
            decider=Decider.SOCIAL_AFFAIRS_OFFICER).exists():
        return True
    return steps.filter(group_id__in=groups).exists()


def can_view(user, request: Request) -> bool:
    return is_applicant(user, request) or is_officer(user, request)


def can_act(user, request: Request, action: str) -> bool:
    if action in APPLICANT_ACTIONS:
        if not is_applicant(user, request):
            return False
        if action == "resubmit":
            return request.stage == Stage.RETURNED
        if action == "submit":
            return request.stage == Stage.DRAFT
        return request.stage not in FINAL_STAGES - {Stage.COMPLETED}
    if action not in OFFICER_ACTIONS or user.pk == request.requester_id:
        return False
    if action == "resume":
        if request.stage != Stage.SUSPENDED:
            return False
        step = request.current_step
        return step is not None and any(
            p.pk == user.pk for p in routing.deciders_of_step(step, request)[0])
    if not routing.can_decide(user, request):
        return False
    step = routing.current_step(request)
    allowed = "suspend" if action == "suspend" else action
    return step is not None and step.allows(allowed)


def can_comment(user, request: Request, *, internal: bool = False) -> bool:
    if request.stage in FINAL_STAGES and not internal:
        return False
    if internal:
        return is_officer(user, request) and not is_applicant(user, request)
    return can_view(user, request)


def visible_or_404(user, pk) -> Request:
    """The application if ``user`` may see it; the same 404 otherwise."""
    item = (Request.objects.select_related(
        "request_type", "requester", "requester__directorate", "requester__manager",
        "current_step", "applicant_directorate", "applicant_organisation", "assignee",
    ).filter(pk=pk).first())
    if item is None:
        raise NotVisible
    if not can_view(user, item):
        # The same 404 as a missing id, recorded as a denied access.
        audit.record(audit.Action.DENIED, actor=user if user.is_authenticated else None,
                     obj=item, detail={"status": 404})
        raise NotVisible
    return item


def visible_filter(user, awaiting: Q | None = None) -> Q:
    """A filter on Request for lists and queues: what ``user`` may see as an officer
    or applicant. A few queries about the user, none per application
    (``awaiting``: routing.awaiting_filter(user) when the caller has it already)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_administrator:
        return Q(requester_id=user.pk) | ~Q(stage=Stage.DRAFT)
    awaiting = routing.awaiting_filter(user) if awaiting is None else awaiting
    # As an applicant (drafts included): own, the directorates headed, the organisations.
    mine = Q(requester_id=user.pk)
    headed = routing.directorates_headed_by(user)
    if headed:
        mine |= Q(applicant_kind=ApplicantKind.DIRECTORATE, applicant_directorate_id__in=headed)
    organisations = list(user.organisations.values_list("pk", flat=True))
    if organisations:
        mine |= Q(applicant_kind=ApplicantKind.ORGANISATION,
                  applicant_organisation_id__in=organisations)
    # As an officer: never a draft (the applicant's alone until submitted).
    query = awaiting
    if user.role == User.Role.HR_OFFICER:
        query |= Q(applicant_kind=ApplicantKind.STAFF)
    query |= Q(applicant_kind=ApplicantKind.STAFF, requester__manager_id=user.pk)
    groups = _officer_groups(user)
    if groups:
        types = WorkflowStep.objects.filter(group_id__in=groups).values("request_type_id")
        query |= Q(request_type_id__in=types)
        if is_social_officer(user):
            social = WorkflowStep.objects.filter(
                decider=Decider.SOCIAL_AFFAIRS_OFFICER).values("request_type_id")
            query |= Q(request_type_id__in=social)
    query |= Exists(RequestTransition.objects.filter(request_id=OuterRef("pk"), actor=user)
                    .exclude(action=RequestTransition.Action.SUBMITTED))
    return mine | (query & ~Q(stage=Stage.DRAFT))


def office_filter(user, awaiting: Q | None = None) -> Q:
    """A filter on Request: what an officer's back-office queues hold. Narrower
    than ``visible_filter`` (no own applications, no "once decided by me"),
    so that PostgreSQL answers it from indexes: HR holds the staff procedures,
    a unit's officers their unit's types, a manager their team's and what waits
    for their decision."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.is_administrator:
        return ~Q(stage=Stage.DRAFT)
    awaiting = routing.awaiting_filter(user) if awaiting is None else awaiting
    query = awaiting
    if user.role == User.Role.HR_OFFICER:
        query |= Q(applicant_kind=ApplicantKind.STAFF)
    elif user.role == User.Role.MANAGER:
        query |= Q(applicant_kind=ApplicantKind.STAFF, requester__manager_id=user.pk)
    types = list(unit_types(user).values_list("pk", flat=True))
    if types and user.role != User.Role.HR_OFFICER:
        query |= Q(request_type_id__in=types)
    elif types:
        query |= Q(request_type_id__in=types) & ~Q(applicant_kind=ApplicantKind.STAFF)
    return query & ~Q(stage=Stage.DRAFT)  # nobody works on a draft but its applicant


def unit_types(user):
    """Procedure types whose queues ``user`` works (HR: the staff families)."""
    if user.is_administrator:
        return RequestType.objects.all()
    query = Q(steps__group__in=user.groups.all())
    if is_social_officer(user):
        query |= Q(steps__decider=Decider.SOCIAL_AFFAIRS_OFFICER)
    if user.role == User.Role.HR_OFFICER:
        query |= Q(applicant_kind=ApplicantKind.STAFF)
    return RequestType.objects.filter(query).distinct()
