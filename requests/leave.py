"""Leave rules: working or calendar days, balances, overlap and date checks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .lifecycle import WorkflowError
from .models import (
    FINAL_STAGES,
    LeaveBalance,
    LeaveBalanceEntry,
    LeavePolicy,
    LeaveRequest,
    PublicHoliday,
    Request,
    RequestType,
    Stage,
)

HALF = Decimal("0.5")
WEEKEND = {5, 6}  # Saturday, Sunday


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return set(
        PublicHoliday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True)
    )


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
    weekends and HR's public holidays."""
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


def pending_days(employee, year: int, exclude_request_id: int | None = None) -> Decimal:
    """Days asked in open requests that deduct from the balance (not yet decided)."""
    total = Decimal(0)
    open_leave = LeaveRequest.objects.filter(
        request__requester=employee,
        request__request_type__deducts_from_balance=True,
        start_date__year=year,
    ).exclude(request__stage__in=[*FINAL_STAGES, Stage.DRAFT])  # a draft holds no days
    if exclude_request_id:
        open_leave = open_leave.exclude(request_id=exclude_request_id)
    for leave in open_leave:
        total += leave.days
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
    """Approved leave: take the days from the balance, in the decision's transaction."""
    leave = request.leave
    balance = lock_balance(request.requester, leave.start_date.year)
    if leave.days > balance.remaining:
        raise WorkflowError(
            _("The balance is now %(left)s days, less than the %(days)s asked: "
              "this leave cannot be approved.") % {"left": balance.remaining, "days": leave.days}
        )
    LeaveBalance.objects.filter(pk=balance.pk).update(taken=F("taken") + leave.days)
    _entry(balance, LeaveBalanceEntry.Kind.TAKEN, -leave.days, request=request, by=by)


def restore(request: Request, by) -> None:
    leave = request.leave
    balance = balance_for(request.requester, leave.start_date.year)
    LeaveBalance.objects.filter(pk=balance.pk).update(taken=F("taken") - leave.days)
    _entry(balance, LeaveBalanceEntry.Kind.RESTORED, leave.days, request=request, by=by)


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
                _("Sick leave can start at most %(n)s days in the past.")
                % {"n": policy.sick_leave_backdate_days}
            )
    if days <= 0 and not errors:
        errors.append(_("These dates contain no working day."))
    if request_type.max_days and days > request_type.max_days:
        limit = (_("This type of leave allows at most %(n)s days per request.") if by_calendar
                 else _("This type of leave allows at most %(n)s working days per request."))
        errors.append(limit % {"n": request_type.max_days})
    overlapping = overlaps(employee, start, end, start_afternoon, end_morning,
                           exclude_request_id=exclude)
    if overlapping:
        other = overlapping[0]
        errors.append(
            _("These dates overlap your leave from %(start)s to %(end)s (%(ref)s).")
            % {"start": other.start_date, "end": other.end_date, "ref": other.request.reference}
        )
    balance = left = None
    if request_type.deducts_from_balance:
        balance = available_days(employee, start.year, exclude)
        left = balance - days
        if left < 0:
            errors.append(
                _("This leave costs %(days)s working days but only %(left)s are left.")
                % {"days": days, "left": balance}
            )
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


def can_cancel_leave(request: Request) -> bool:
    """Leave may be withdrawn until it starts, even once approved."""
    return request.leave.start_date > timezone.localdate()


# ---- Moroccan public holidays (seed) ------------------------------------------

FIXED_HOLIDAYS = [
    ((1, 1), "رأس السنة الميلادية", "Nouvel an"),
    ((1, 11), "ذكرى تقديم وثيقة الاستقلال", "Manifeste de l'indépendance"),
    ((1, 14), "رأس السنة الأمازيغية", "Nouvel an amazigh"),
    ((5, 1), "عيد الشغل", "Fête du travail"),
    ((7, 30), "عيد العرش", "Fête du trône"),
    ((8, 14), "ذكرى استرجاع إقليم وادي الذهب", "Allégeance de Oued Ed-Dahab"),
    ((8, 20), "ذكرى ثورة الملك والشعب", "Révolution du roi et du peuple"),
    ((8, 21), "عيد الشباب", "Fête de la jeunesse"),
    ((10, 31), "عيد الوحدة", "Fête de l'unité"),
    ((11, 6), "ذكرى المسيرة الخضراء", "Marche verte"),
    ((11, 18), "عيد الاستقلال", "Fête de l'indépendance"),
]
# Religious holidays follow the lunar calendar: dates are the expected ones;
# HR corrects them in the admin once the moon is sighted.
LUNAR_HOLIDAYS = {
    2026: [("2026-03-20", "عيد الفطر", "Aïd al-Fitr"), ("2026-03-21", "عيد الفطر", "Aïd al-Fitr"),
           ("2026-05-27", "عيد الأضحى", "Aïd al-Adha"), ("2026-05-28", "عيد الأضحى", "Aïd al-Adha"),
           ("2026-06-17", "فاتح محرم", "Nouvel an de l'Hégire"),
           ("2026-08-26", "عيد المولد النبوي", "Aïd al-Mawlid")],
    2027: [("2027-03-10", "عيد الفطر", "Aïd al-Fitr"), ("2027-03-11", "عيد الفطر", "Aïd al-Fitr"),
           ("2027-05-17", "عيد الأضحى", "Aïd al-Adha"), ("2027-05-18", "عيد الأضحى", "Aïd al-Adha"),
           ("2027-06-06", "فاتح محرم", "Nouvel an de l'Hégire"),
           ("2027-08-15", "عيد المولد النبوي", "Aïd al-Mawlid")],
    2028: [("2028-02-27", "عيد الفطر", "Aïd al-Fitr"), ("2028-02-28", "عيد الفطر", "Aïd al-Fitr"),
           ("2028-05-05", "عيد الأضحى", "Aïd al-Adha"), ("2028-05-06", "عيد الأضحى", "Aïd al-Adha"),
           ("2028-05-25", "فاتح محرم", "Nouvel an de l'Hégire"),
           ("2028-08-03", "عيد المولد النبوي", "Aïd al-Mawlid")],
}


def seed_public_holidays(years: list[int]) -> int:
    created = 0
    for year in years:
        rows = [(datetime.date(year, m, d), ar, fr) for (m, d), ar, fr in FIXED_HOLIDAYS]
        rows += [(datetime.date.fromisoformat(iso), ar, fr)
                 for iso, ar, fr in LUNAR_HOLIDAYS.get(year, [])]
        for day, ar, fr in rows:
            _obj, made = PublicHoliday.objects.get_or_create(
                date=day, defaults={"name_ar": ar, "name_fr": fr})
            created += made
    return created
