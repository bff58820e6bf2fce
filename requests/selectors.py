"""Reads of the requests app."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import leave, policies, routing
from .models import (
    LeaveBalanceEntry,
    LeaveRequest,
    PublicHoliday,
    Request,
    RequestType,
    Stage,
)

User = get_user_model()


def active_types() -> QuerySet[RequestType]:
    return RequestType.objects.filter(active=True).order_by("family", "code")


def my_requests(user) -> QuerySet[Request]:
    return (
        Request.objects.filter(requester=user)
        .select_related("request_type", "leave", "certificate", "social")
        .prefetch_related("transitions__actor", "transitions__on_behalf_of")
        .order_by("-created_at", "-pk")
    )


def timeline(request: Request) -> list:
    return list(request.transitions.select_related("actor", "on_behalf_of").order_by("at", "pk"))


is_hr = policies.is_hr
is_social_officer = policies.is_social_officer
can_view = policies.can_view


def visible_request(user, pk: int) -> Request | None:
    """The request if ``user`` may see it, else None: a missing id and one the
    user may not see look the same to the caller (no probing of ids, names or
    outcomes through error messages)."""
    item = (
        Request.objects.select_related("request_type", "requester", "requester__directorate",
                                       "requester__manager")
        .filter(pk=pk).first()
    )
    if item is None or not can_view(user, item):
        return None
    return item


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


def hr_queue(user, *, type_id=None, directorate_id=None, stage=None,
             date_from: datetime.date | None = None,
             date_to: datetime.date | None = None) -> QuerySet[Request]:
    """Requests HR handles (every request for HR; social ones for the social officer)."""
    requests = Request.objects.select_related(
        "request_type", "requester", "requester__directorate", "leave", "certificate", "social"
    )
    if not is_hr(user):
        if is_social_officer(user):
            requests = requests.filter(request_type__family=RequestType.Family.SOCIAL)
        else:
            return Request.objects.none()
    if stage == "waiting":
        requests = requests.filter(stage=Stage.HR_PROCESSING)
    elif stage:
        requests = requests.filter(stage=stage)
    if type_id:
        requests = requests.filter(request_type_id=type_id)
    if directorate_id:
        requests = requests.filter(requester__directorate_id=directorate_id)
    if date_from:
        requests = requests.filter(created_at__date__gte=date_from)
    if date_to:
        requests = requests.filter(created_at__date__lte=date_to)
    return requests.order_by("-created_at", "-pk")


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


def team_calendar(manager, year: int, month: int) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month with the team's approved and pending leave."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    grid_start = first - datetime.timedelta(days=first.weekday())
    grid_end = last + datetime.timedelta(days=6 - last.weekday())
    team = list(team_members(manager))
    leaves = list(
        LeaveRequest.objects.filter(
            request__requester__in=team, start_date__lte=grid_end, end_date__gte=grid_start,
        )
        .exclude(request__stage__in=[Stage.REJECTED, Stage.CANCELLED])
        .select_related("request", "request__requester", "request__request_type")
    )
    holidays = {h.date: h.name for h in PublicHoliday.objects.filter(
        date__gte=grid_start, date__lte=grid_end)}
    weeks, week = [], []
    day = grid_start
    while day <= grid_end:
        entries = [
            {"person": item.request.requester, "type": item.request.request_type,
             "approved": item.request.stage == Stage.COMPLETED, "request": item.request}
            for item in leaves if item.start_date <= day <= item.end_date
        ]
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

    messages = Message.objects.filter(request=request).select_related("author")
    if not officer:
        messages = messages.filter(internal=False)
    return list(messages.order_by("created_at", "pk")[:500])


def read_receipts(request: Request) -> dict:
    """user id -> time up to which they read the conversation."""
    from .models import MessageRead

    return dict(MessageRead.objects.filter(request=request).values_list("user_id",
                                                                        "read_until"))
