"""Reads of the requests app."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import leave, policies, routing
from .holidays import holidays_between
from .models import (
    LeaveBalanceEntry,
    LeaveRequest,
    Request,
    RequestType,
    Stage,
)

User = get_user_model()


def active_types(user=None) -> QuerySet[RequestType]:
    """The types a staff member may apply for (themselves or for their directorate)."""
    from .models import ApplicantKind

    types = RequestType.objects.filter(active=True)
    if user is not None:
        types = types.exclude(applicant_kind=ApplicantKind.ORGANISATION)
    return types.order_by("family", "code")


def my_requests(user) -> QuerySet[Request]:
    return (
        Request.objects.filter(requester=user)
        .select_related("request_type", "leave", "certificate", "social", "interservice",
                        "assignee", "current_step")
        .prefetch_related("transitions__actor", "transitions__on_behalf_of")
        .order_by("-created_at", "-pk")
    )


def my_recent_requests(user, limit: int) -> list[Request]:
    """The applicant's latest submitted applications, for a summary (home): only
    what a line shows. The full list's joins (every family's row, the
    assignee) cost PostgreSQL more to plan than to run."""
    from .models import Stage

    return list(Request.objects.filter(requester=user).exclude(stage=Stage.DRAFT)
                .select_related("request_type", "current_step")
                .order_by("-created_at", "-pk")[:limit])


def my_drafts(user) -> list:
    """The applicant's drafts, newest first (one query, a page at most)."""
    from .models import Stage

    return list(Request.objects.filter(requester=user, stage=Stage.DRAFT)
                .select_related("request_type").order_by("-created_at", "-pk")[:MY_PAGE])


def timeline(request: Request) -> list:
    return list(request.transitions.select_related("actor", "on_behalf_of").order_by("at", "pk"))


@dataclass
class DetailContext:
    """What one application's page shows to this viewer, and the moves offered."""

    officer: bool
    applicant: bool
    can_return: bool
    can_suspend: bool
    can_resume: bool
    can_take: bool
    can_resubmit: bool
    can_comment: bool
    can_note: bool
    documents: list
    conversation: list
    entries: list
    correction: list
    read_receipts: dict
    applicant_read_until: object
    forward_to: list
    # The colleagues deciding the same step, to whom the viewer may assign it.
    colleagues: list = field(default_factory=list)
    # The other side's read receipt (the applicant's for officers, officers' for the applicant).
    receipt: object = None
    officers_read: bool = False  # the receipt is the officers' (shown to the applicant)
    # A draft's applicant: submit it, and each checklist line with what was given.
    can_submit: bool = False
    draft_lines: list = field(default_factory=list)


def detail_context(user, request: Request) -> DetailContext:
    from .models import SubmittedDocument

    officer = policies.is_officer(user, request)
    applicant = policies.is_applicant(user, request)
    deciding = routing.can_decide(user, request)
    documents = list(SubmittedDocument.objects.filter(request=request).select_related(
        "requirement", "attachment__file__current_version", "checked_by"))
    requirements = {d.pk: d for d in request.request_type.documents.all()}
    correction = [dict(item, requirement=requirements.get(item.get("document")))
                  for item in request.correction_items or []]
    from . import timeline as timeline_log

    receipts = read_receipts(request) if officer and not applicant else {}
    can_submit = policies.can_act(user, request, "submit")
    given = {}
    for document in documents:
        given[document.requirement_id] = document  # the latest file of each line
    colleagues = []
    if (deciding or user.is_administrator) and request.is_open:
        colleagues = [p for p in routing.deciders(request)[0]
                      if p.pk not in (request.assignee_id, user.pk)]
    forward_to = []
    if deciding and policies.can_act(user, request, "forward"):
        steps = routing.steps_of(request.request_type)
        forward_to = [(position, step.label) for position, step in enumerate(steps, start=1)
                      if position > request.step_position + 1]
    return DetailContext(
        officer=officer, applicant=applicant,
        can_return=deciding and policies.can_act(user, request, "return"),
        can_suspend=deciding and policies.can_act(user, request, "suspend"),
        can_resume=policies.can_act(user, request, "resume"),
        can_take=deciding and request.assignee_id != user.pk,
        can_resubmit=policies.can_act(user, request, "resubmit"),
        can_comment=policies.can_comment(user, request),
        can_note=policies.can_comment(user, request, internal=True),
        documents=documents,
        conversation=conversation(request, officer=officer and not applicant),
        entries=list(timeline_log.entries_for(request, officer=officer and not applicant)),
        correction=correction,
        read_receipts=receipts,
        applicant_read_until=receipts.get(request.requester_id),
        receipt=read_receipt(request, officer=officer and not applicant),
        officers_read=not (officer and not applicant),
        forward_to=forward_to,
        colleagues=colleagues,
        can_submit=can_submit,
        draft_lines=[(requirement, given.get(requirement.pk))
                     for requirement in requirements.values()] if can_submit else [],
    )


is_hr = policies.is_hr
is_social_officer = policies.is_social_officer
can_view = policies.can_view


def visible_request(user, pk: int) -> Request | None:
    """The request if ``user`` may see it, else None: a missing id and one the
    user may not see look the same to the caller (no probing of ids, names or
    outcomes through error messages)."""
    try:
        return policies.visible_or_404(user, pk)
    except policies.NotVisible:
        return None


@dataclass
class BalanceSummary:
    year: int
    entitlement: object
    carried_over: object
    adjustments: object
    taken: object
    remaining: object
    pending: object
    available: object
    history: list


def balance_summary(employee, year: int | None = None) -> BalanceSummary:
    year = year or timezone.localdate().year
    balance = leave.balance_for(employee, year)
    pending = leave.pending_days(employee, year)
    history = list(
        LeaveBalanceEntry.objects.filter(balance=balance).select_related("by", "request")
        .order_by("-at", "-pk")[:50]
    )
    return BalanceSummary(year, balance.entitlement, balance.carried_over, balance.adjustments,
                          balance.taken, balance.remaining, pending,
                          balance.remaining - pending, history)


def awaiting_decision(user, limit: int = 50) -> list[Request]:
    """The first page of what waits for the user's decision: one query."""
    return list(routing.awaiting(user).select_related(
        "request_type", "requester", "current_step").order_by("-created_at", "-pk")[:limit])


def team_members(manager) -> QuerySet:
    today = timezone.localdate()
    acting_for = [
        d.manager_id for d in manager.delegations_received.filter(
            start_date__lte=today, end_date__gte=today)
    ]
    return User.objects.filter(Q(manager=manager) | Q(manager_id__in=acting_for),
                               is_active=True).order_by("last_name", "first_name")


@dataclass
class CalendarDay:
    date: datetime.date
    in_month: bool
    weekend: bool
    holiday: str
    entries: list


def team_calendar(manager, year: int, month: int, team=None) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month with the team's approved and pending leave.

    ``team``: the people shown, when the caller already has them (team_members)."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    grid_start = first - datetime.timedelta(days=first.weekday())
    grid_end = last + datetime.timedelta(days=6 - last.weekday())
    people = {person.pk: person for person in (team_members(manager) if team is None else team)}
    # The team's request ids come from the requester index alone (it holds the
    # ids), so the grid's leaves are matched against them without reading the
    # team's whole request history from the table.
    theirs = Request.objects.filter(requester__in=list(people)).values("pk")
    leaves = list(
        LeaveRequest.objects.filter(
            request__in=theirs, start_date__lte=grid_end, end_date__gte=grid_start,
        )
        .exclude(request__stage__in=[Stage.REJECTED, Stage.CANCELLED])
        .select_related("request", "request__request_type")
    )
    holidays = holidays_between(grid_start, grid_end)
    # Each leave is placed on the days it covers inside the grid, once:
    # testing every leave against every day grew with the team's history.
    by_day: dict[datetime.date, list[dict]] = {}
    names: dict[int, str] = {}
    for item in leaves:
        # What the page shows, worked out once per leave, not once per day it covers.
        requester_id = item.request.requester_id
        if requester_id not in names:
            names[requester_id] = people[requester_id].display_name
        entry = {"name": names[requester_id], "type_name": item.request.request_type.name,
                 "url": item.request.get_absolute_url(),
                 "approved": item.request.stage == Stage.COMPLETED}
        covered = max(item.start_date, grid_start)
        while covered <= min(item.end_date, grid_end):
            by_day.setdefault(covered, []).append(entry)
            covered += datetime.timedelta(days=1)
    weeks, week = [], []
    day = grid_start
    while day <= grid_end:
        entries = by_day.get(day, [])
        week.append(CalendarDay(day, day.month == month, day.weekday() in leave.WEEKEND,
                                holidays.get(day, ""), entries))
        if len(week) == 7:
            weeks.append(week)
            week = []
        day += datetime.timedelta(days=1)
    return weeks


def conversation(request: Request, *, officer: bool) -> list:
    """The application's messages (and, for officers, internal notes), oldest first."""
    from .models import Message

    messages = Message.objects.filter(request=request).select_related("author") \
        .prefetch_related("attachments__file__current_version")
    if not officer:
        messages = messages.filter(internal=False)
    return list(messages.order_by("created_at", "pk")[:500])


def _message_files(request: Request, **message_filter):
    from .models import Message

    return Message.attachments.through.objects.filter(
        message__request=request, **message_filter).values("requestattachment_id")


def application_attachments(request: Request):
    """The application's own files (not those sent in its conversation)."""
    return request.attachments.exclude(pk__in=_message_files(request)) \
        .select_related("file__current_version")


def may_fetch_attachment(user, request: Request, attachment) -> bool:
    """A file of an internal note is for officers only (the applicant never
    learns it exists); every other file of a visible application may be fetched."""
    if policies.is_officer(user, request) and not policies.is_applicant(user, request):
        return True
    return not _message_files(request, message__internal=True).filter(
        requestattachment_id=attachment.pk).exists()


def read_receipt(request: Request, *, officer: bool):
    """What one side knows of the other's reading: for officers, up to when the
    applicant read the conversation; for the applicant, up to when an officer did."""
    from django.db.models import Max

    from .models import MessageRead

    reads = MessageRead.objects.filter(request=request)
    if officer:
        return reads.filter(user_id=request.requester_id).values_list(
            "read_until", flat=True).first()
    return reads.exclude(user_id=request.requester_id).aggregate(
        last=Max("read_until"))["last"]


def read_receipts(request: Request) -> dict:
    """user id -> time up to which they read the conversation."""
    from .models import MessageRead

    return dict(MessageRead.objects.filter(request=request).values_list("user_id",
                                                                        "read_until"))


# ---- Back office: queues, statistics ------------------------------------------------

QUEUE_PAGE = 50
MY_PAGE = 20
QUEUE_RELATED = ("request_type", "requester", "requester__directorate", "current_step",
                 "assignee", "applicant_directorate", "applicant_organisation")
# The exports also say what each application asks (its family's row).
EXPORT_RELATED = ("leave", "certificate", "social", "interservice")


@dataclass
class QueueFilters:
    type_id: int | None = None
    stage: str | None = None  # a Stage value, "waiting" (for my decision) or "open"
    step_id: int | None = None
    directorate_id: int | None = None
    overdue: bool = False
    mine: bool = False  # assigned to me
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


def works_in_back_office(user) -> bool:
    return user.is_authenticated and (
        is_hr(user) or user.role == User.Role.MANAGER or is_social_officer(user)
        or policies.unit_types(user).exists()
    )


def office_queue(user, filters: QueueFilters, *, export: bool = False) -> Listing:
    """The applications an officer's queues hold (their units' types; HR: the
    staff procedures), filtered, newest first, each annotated with
    ``may_decide``: who may decide is part of the page's one query."""
    from django.db.models import BooleanField, Case, Value, When

    from .models import IN_REVIEW_STAGES

    awaiting = routing.awaiting_filter(user)
    if filters.stage == "waiting":
        # What waits for my decision is visible to me: one filter, not two.
        requests = Request.objects.filter(awaiting)
    else:
        requests = Request.objects.filter(policies.office_filter(user, awaiting))
    requests = requests.exclude(requester=user)
    if filters.stage == "waiting":
        pass
    elif filters.stage == "open":
        requests = requests.exclude(stage__in=[Stage.COMPLETED, Stage.REJECTED,
                                               Stage.CANCELLED, Stage.EXPIRED])
    elif filters.stage:
        requests = requests.filter(stage=filters.stage)
    if filters.type_id:
        requests = requests.filter(request_type_id=filters.type_id)
    if filters.step_id:
        requests = requests.filter(current_step_id=filters.step_id)
    if filters.directorate_id:
        requests = requests.filter(Q(requester__directorate_id=filters.directorate_id)
                                   | Q(applicant_directorate_id=filters.directorate_id))
    if filters.overdue:
        requests = requests.filter(stage__in=IN_REVIEW_STAGES, due_at__lt=timezone.now())
    if filters.mine:
        requests = requests.filter(assignee=user)
    if filters.date_from:
        requests = requests.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        requests = requests.filter(created_at__date__lte=filters.date_to)
    related = QUEUE_RELATED + (EXPORT_RELATED if export else ())

    def decorate(rows: QuerySet) -> QuerySet:
        return rows.select_related(*related).annotate(
            may_decide=Case(When(awaiting, then=Value(True)), default=Value(False),
                            output_field=BooleanField()))

    return Listing(requests.order_by("-created_at", "-pk"), decorate)


@dataclass
class Listing:
    """A filtered, ordered list of applications and how to load a page of them.

    Two queries per page, whatever the data: the lean filtered query picks the
    page's ids, then the rows are loaded by id with everything they show.
    Asked as one statement (joins, or ``pk IN (SELECT ... LIMIT n)``),
    PostgreSQL sorted every matching row joined to its relations, or hashed
    the whole table, before keeping fifty (measured: bench/procedures.py)."""

    queryset: QuerySet
    decorate: object = None

    def page(self, number: int, size: int) -> list:
        start = (number - 1) * size
        ids = list(self.queryset.values_list("pk", flat=True)[start:start + size + 1])
        rows = Request.objects.filter(pk__in=ids)
        if self.decorate is not None:
            rows = self.decorate(rows)
        return list(rows.order_by(*self.queryset.query.order_by))


@dataclass
class Page:
    items: list
    number: int
    has_previous: bool
    has_next: bool
    size: int


def page_of(queryset, number: int, size: int | None = None) -> Page:
    """One page without counting every row: fetch one more than the page to
    know whether a next page exists (the count is what grows with the data)."""
    number = max(1, number)
    size = size or QUEUE_PAGE
    if isinstance(queryset, Listing):
        rows = queryset.page(number, size)
    else:
        rows = list(queryset[(number - 1) * size:number * size + 1])
    return Page(rows[:size], number, number > 1, len(rows) > size, size)


def my_applications(user, number: int = 1, size: int | None = None) -> Page:
    """The applicant's own list, a page at a time (one query)."""
    return page_of(my_requests(user), number, size or MY_PAGE)


STATISTICS_DAYS = 365


def statistics(user, *, since: datetime.date | None = None) -> list[dict]:
    """Per procedure type of the user's units: received, decided, median and
    90th-percentile processing time (days, ministry time and applicant time
    together), share of open applications past their service norm. One query
    on PostgreSQL."""
    from django.contrib.postgres.fields import ArrayField
    from django.db import connection
    from django.db.models import Aggregate, Count, F, FloatField

    from .models import IN_REVIEW_STAGES

    types = {t.pk: t for t in policies.unit_types(user)}
    since = since or timezone.localdate() - datetime.timedelta(days=STATISTICS_DAYS)
    # A range on the indexed column itself (not on its date) keeps the index usable.
    requests = Request.objects.filter(
        request_type_id__in=list(types),
        created_at__gte=timezone.make_aware(datetime.datetime.combine(since, datetime.time())))
    now = timezone.now()
    counts = {
        row["request_type_id"]: row for row in requests.values("request_type_id").annotate(
            received=Count("pk"),
            decided=Count("pk", filter=Q(decided_at__isnull=False)),
            open=Count("pk", filter=Q(stage__in=IN_REVIEW_STAGES)),
            overdue=Count("pk", filter=Q(stage__in=IN_REVIEW_STAGES, due_at__lt=now)),
        )
    }
    durations: dict[int, tuple] = {}
    if connection.vendor == "postgresql":
        class Percentiles(Aggregate):
            # Both percentiles from one sort of the processing times.
            template = ("percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP "
                        "(ORDER BY EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)")
            output_field = ArrayField(FloatField())

        delay = F("decided_at") - F("created_at")
        for row in requests.filter(decided_at__isnull=False).values("request_type_id") \
                .annotate(days=Percentiles(delay)):
            durations[row["request_type_id"]] = tuple(row["days"])
    else:
        import statistics as stats

        by_type: dict[int, list] = {}
        for type_id, created, decided in requests.filter(decided_at__isnull=False) \
                .values_list("request_type_id", "created_at", "decided_at"):
            by_type.setdefault(type_id, []).append((decided - created).total_seconds() / 86400)
        for type_id, values in by_type.items():
            values.sort()
            p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
            durations[type_id] = (stats.median(values), p90)
    rows = []
    for type_id, kind in sorted(types.items(), key=lambda item: item[1].code):
        row = counts.get(type_id, {})
        median, p90 = durations.get(type_id, (None, None))
        open_count = row.get("open", 0)
        rows.append({
            "type": kind, "received": row.get("received", 0), "decided": row.get("decided", 0),
            "median_days": median, "p90_days": p90, "open": open_count,
            "overdue": row.get("overdue", 0),
            "overdue_share": (row.get("overdue", 0) / open_count) if open_count else None,
        })
    return rows
