"""Leave rules: working or calendar days, balances, overlap and date checks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from collab.documents import count_days

from .holidays import holiday_dates
from .lifecycle import WorkflowError
from .models import (
    FINAL_STAGES,
    LeaveBalance,
    LeaveBalanceEntry,
    LeavePolicy,
    LeaveRequest,
    Request,
    RequestType,
    Stage,
)

HALF = Decimal("0.5")
WEEKEND = {5, 6}  # Saturday, Sunday


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return holiday_dates(start, end)


def is_working_day(day: datetime.date, holidays: set[datetime.date]) -> bool:
    return day.weekday() not in WEEKEND and day not in holidays


def calendar_days(start: datetime.date, end: datetime.date, *, start_afternoon: bool = False,
                  end_morning: bool = False) -> Decimal:
    """Days from ``start`` to ``end`` inclusive, weekends and holidays included."""
    if end < start:
        return Decimal(0)
    total = Decimal((end - start).days + 1)
    if start_afternoon:
        total -= HALF
    if end_morning:
        total -= HALF
    return max(total, Decimal(0))


def working_days(start: datetime.date, end: datetime.date, *, start_afternoon: bool = False,
                 end_morning: bool = False) -> Decimal:
    """Working days from ``start`` to ``end`` inclusive, in half days, excluding
    weekends and public holidays (requests/holidays.py)."""
    if end < start:
        return Decimal(0)
    holidays = holidays_between(start, end)
    total = Decimal(0)
    day = start
    while day <= end:
        if is_working_day(day, holidays):
            total += 1
        day += datetime.timedelta(days=1)
    if start_afternoon and is_working_day(start, holidays):
        total -= HALF
    if end_morning and is_working_day(end, holidays):
        total -= HALF
    return max(total, Decimal(0))


def days_by_year(start: datetime.date, end: datetime.date, *, by_calendar: bool = False,
                 start_afternoon: bool = False, end_morning: bool = False
                 ) -> dict[int, Decimal]:
    """The days a leave costs in each calendar year it touches: leave from
    late December into January is charged to each year's balance for its own
    days. The parts add up to the whole (half days stay at the real ends)."""
    count = calendar_days if by_calendar else working_days
    parts: dict[int, Decimal] = {}
    for year in range(start.year, end.year + 1):
        first = max(start, datetime.date(year, 1, 1))
        last = min(end, datetime.date(year, 12, 31))
        parts[year] = count(first, last, start_afternoon=start_afternoon and first == start,
                            end_morning=end_morning and last == end)
    return parts


def leave_days_by_year(leave: LeaveRequest) -> dict[int, Decimal]:
    return days_by_year(leave.start_date, leave.end_date,
                        by_calendar=leave.request.request_type.counts_calendar_days,
                        start_afternoon=leave.start_afternoon, end_morning=leave.end_morning)


# ---- Balances ---------------------------------------------------------------


def _entry(balance, kind, days, reason="", request=None, by=None):
    LeaveBalanceEntry.objects.create(balance=balance, kind=kind, days=days, reason=reason,
                                     request=request, by=by)


@transaction.atomic
def balance_for(employee, year: int) -> LeaveBalance:
    """The employee's balance for ``year``, opened on first use: the policy's
    entitlement plus what is carried over from last year (capped by the policy)."""
    balance = LeaveBalance.objects.filter(employee=employee, year=year).first()
    if balance:
        return balance
    policy = LeavePolicy.current()
    previous = LeaveBalance.objects.filter(employee=employee, year=year - 1).first()
    carried = Decimal(0)
    if previous is not None:
        carried = max(Decimal(0), min(previous.remaining, policy.carry_over_max_days))
    balance, created = LeaveBalance.objects.get_or_create(
        employee=employee, year=year,
        defaults={"entitlement": policy.annual_entitlement, "carried_over": carried},
    )
    if created:
        _entry(balance, LeaveBalanceEntry.Kind.ENTITLEMENT, balance.entitlement)
        if carried:
            _entry(balance, LeaveBalanceEntry.Kind.CARRY_OVER, carried,
                   reason=_("From %(year)s") % {"year": year - 1})
    return balance


def lock_balance(employee, year: int) -> LeaveBalance:
    """The balance row, locked until the caller's transaction ends. Every
    check-then-write on a balance (a submission against what is available,
    an approval taking the days) holds it, so the balance and the open
    requests it reads cannot change between the check and the write."""
    balance = balance_for(employee, year)
    return LeaveBalance.objects.select_for_update().get(pk=balance.pk)


def lock_balances(employee, start: datetime.date, end: datetime.date) -> None:
    """Lock the balance of every year a leave from ``start`` to ``end`` touches."""
    for year in range(start.year, end.year + 1):
        lock_balance(employee, year)


def pending_days(employee, year: int, exclude_request_id: int | None = None) -> Decimal:
    """Days of ``year`` asked in open requests that deduct from the balance (not
    yet decided); a request spanning two years counts here for its days in ``year``."""
    total = Decimal(0)
    open_leave = LeaveRequest.objects.filter(
        request__requester=employee,
        request__request_type__deducts_from_balance=True,
        start_date__lte=datetime.date(year, 12, 31),
        end_date__gte=datetime.date(year, 1, 1),
    ).exclude(
        request__stage__in=[*FINAL_STAGES, Stage.DRAFT]  # a draft holds no days
    ).select_related("request__request_type")
    if exclude_request_id:
        open_leave = open_leave.exclude(request_id=exclude_request_id)
    for leave in open_leave:
        if leave.start_date.year == leave.end_date.year:
            total += leave.days
        else:
            total += leave_days_by_year(leave).get(year, Decimal(0))
    return total


def available_days(employee, year: int, exclude_request_id: int | None = None) -> Decimal:
    return balance_for(employee, year).remaining - pending_days(employee, year,
                                                                 exclude_request_id)


@transaction.atomic
def adjust_balance(employee, year: int, days: Decimal, reason: str, by) -> LeaveBalance:
    if not reason.strip():
        raise WorkflowError(_("An adjustment needs a reason."))
    if not days:
        raise WorkflowError(_("An adjustment of zero days changes nothing."))
    balance = balance_for(employee, year)
    LeaveBalance.objects.filter(pk=balance.pk).update(adjustments=F("adjustments") + days)
    _entry(balance, LeaveBalanceEntry.Kind.ADJUSTMENT, days, reason=reason.strip(), by=by)
    balance.refresh_from_db()
    return balance


def deduct(request: Request, by) -> None:
    """Approved leave: take the days from each year's balance (a leave spanning
    two years is charged to each for its own days), in the decision's transaction."""
    leave = request.leave
    parts = leave_days_by_year(leave) if leave.start_date.year != leave.end_date.year \
        else {leave.start_date.year: leave.days}
    for year, days in sorted(parts.items()):
        if not days:
            continue
        balance = lock_balance(request.requester, year)
        if days > balance.remaining:
            message = (_("The balance is now %(left)s days, less than the %(days)s asked: "
                         "this leave cannot be approved.") if len(parts) == 1 else
                       _("The %(year)s balance is now %(left)s days, less than the %(days)s "
                         "asked for that year: this leave cannot be approved."))
            raise WorkflowError(message % {"year": year, "left": balance.remaining,
                                           "days": days})
        LeaveBalance.objects.filter(pk=balance.pk).update(taken=F("taken") + days)
        _entry(balance, LeaveBalanceEntry.Kind.TAKEN, -days, request=request, by=by)


def restore(request: Request, by) -> None:
    """Give back exactly what ``deduct`` took, year by year (its entries say)."""
    taken = LeaveBalanceEntry.objects.filter(request=request,
                                             kind=LeaveBalanceEntry.Kind.TAKEN)
    restored = {entry.balance_id: entry.days for entry in LeaveBalanceEntry.objects.filter(
        request=request, kind=LeaveBalanceEntry.Kind.RESTORED)}
    for entry in taken.select_related("balance"):
        if entry.balance_id in restored:
            continue
        LeaveBalance.objects.filter(pk=entry.balance_id).update(taken=F("taken") + entry.days)
        _entry(entry.balance, LeaveBalanceEntry.Kind.RESTORED, -entry.days, request=request,
               by=by)


# ---- Checking a request ------------------------------------------------------


@dataclass
class LeaveQuote:
    days: Decimal
    calendar_days: bool  # counted in calendar days, not working days
    balance: Decimal | None  # available before this request (None: not deducted)
    left: Decimal | None
    errors: list[str]


def quote(employee, request_type: RequestType, start: datetime.date | None,
          end: datetime.date | None, *, start_afternoon: bool = False,
          end_morning: bool = False, today: datetime.date | None = None,
          exclude: int | None = None) -> LeaveQuote:
    """Cost of a leave request and every rule it breaks (empty errors: acceptable)."""
    today = today or timezone.localdate()
    errors: list[str] = []
    by_calendar = request_type.counts_calendar_days
    if start is None or end is None:
        return LeaveQuote(Decimal(0), by_calendar, None, None, [])
    if end < start:
        return LeaveQuote(Decimal(0), by_calendar, None, None,
                          [_("The last day is before the first day.")])
    if start == end and start_afternoon and end_morning:
        errors.append(_("A single day cannot both start and end at midday."))
    count = calendar_days if by_calendar else working_days
    days = count(start, end, start_afternoon=start_afternoon, end_morning=end_morning)
    policy = LeavePolicy.current()
    if start < today:
        if request_type.leave_kind != RequestType.LeaveKind.SICK:
            errors.append(_("Leave cannot start in the past."))
        elif (today - start).days > policy.sick_leave_backdate_days:
            errors.append(
                ngettext("Sick leave can start at most %(n)s day in the past.",
                         "Sick leave can start at most %(n)s days in the past.",
                         policy.sick_leave_backdate_days)
                % {"n": policy.sick_leave_backdate_days}
            )
    if days <= 0 and not errors:
        errors.append(_("These dates contain no working day."))
    if request_type.max_days and days > request_type.max_days:
        limit = (_("This type of leave allows at most %(duration)s per request.")
                 if by_calendar else
                 _("This type of leave allows at most %(duration)s per request (working days)."))
        errors.append(limit % {"duration": count_days(request_type.max_days,
                                                      translation.get_language())})
    overlapping = overlaps(employee, start, end, start_afternoon, end_morning,
                           exclude_request_id=exclude)
    if overlapping:
        other = overlapping[0]
        errors.append(
            _("These dates overlap your leave from %(start)s to %(end)s (%(ref)s).")
            % {"start": date_format(other.start_date, "SHORT_DATE_FORMAT"),
               "end": date_format(other.end_date, "SHORT_DATE_FORMAT"),
               "ref": other.request.reference}
        )
    balance = left = None
    if request_type.deducts_from_balance:
        parts = days_by_year(start, end, by_calendar=by_calendar,
                             start_afternoon=start_afternoon, end_morning=end_morning)
        for year, cost in parts.items():
            available = available_days(employee, year, exclude)
            if balance is None:
                balance, left = available, available - cost
            if cost > available:
                message = (_("This leave costs %(days)s working days but only %(left)s are left.")
                           if len(parts) == 1 else
                           _("This leave costs %(days)s working days in %(year)s but only "
                             "%(left)s are left for that year."))
                errors.append(message % {"days": cost, "left": available, "year": year})
    return LeaveQuote(days, by_calendar, balance, left, errors)


def overlaps(employee, start, end, start_afternoon=False, end_morning=False,
             exclude_request_id=None) -> list[LeaveRequest]:
    first = start.toordinal() * 2 + (1 if start_afternoon else 0)
    last = end.toordinal() * 2 + (0 if end_morning else 1)
    candidates = (
        LeaveRequest.objects.filter(
            request__requester=employee, start_date__lte=end, end_date__gte=start
        )
        # A draft or an expired application holds no dates.
        .exclude(request__stage__in=[Stage.REJECTED, Stage.CANCELLED, Stage.EXPIRED,
                                     Stage.DRAFT])
        .select_related("request")
    )
    if exclude_request_id:
        candidates = candidates.exclude(request_id=exclude_request_id)
    return [c for c in candidates if c.first_slot <= last and first <= c.last_slot]


def on_approved_leave(user, day: datetime.date) -> bool:
    return LeaveRequest.objects.filter(
        request__requester=user, request__stage=Stage.COMPLETED,
        start_date__lte=day, end_date__gte=day,
    ).exists()


def _on_approved_leave_among(user_ids, day: datetime.date) -> set[int]:
    return set(LeaveRequest.objects.filter(
        request__requester_id__in=user_ids, request__stage=Stage.COMPLETED,
        start_date__lte=day, end_date__gte=day,
    ).values_list("request__requester_id", flat=True))


# Lists ask about several managers at once (requests.routing).
on_approved_leave.absent_among = _on_approved_leave_among


def can_cancel_leave(request: Request) -> bool:
    """Leave may be withdrawn until it starts, even once approved."""
    return request.leave.start_date > timezone.localdate()
