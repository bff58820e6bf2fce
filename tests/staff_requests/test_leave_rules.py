"""Leave: overlap, past dates, sick-leave window, balance limits, balances and history."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone, translation

from requests import leave, services
from requests.models import LeaveBalance, LeaveBalanceEntry, LeavePolicy, Request, Stage
from requests.workflow import WorkflowError

from .conftest import next_monday

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def submit(org, types, start, end, code="leave-annual", **kw):
    return services.submit_leave(org["employee"], types[code], start=start, end=end, **kw)


def test_overlapping_leave_is_refused_with_the_other_reference(org, types):
    monday = next_monday(2)
    first = submit(org, types, monday, monday + 2 * DAY)
    with pytest.raises(WorkflowError) as excinfo:
        submit(org, types, monday + 2 * DAY, monday + 4 * DAY)
    assert first.reference in excinfo.value.message
    assert Request.objects.count() == 1


def test_half_days_that_touch_do_not_overlap(org, types):
    monday = next_monday(2)
    submit(org, types, monday, monday + DAY, end_morning=True)
    second = submit(org, types, monday + DAY, monday + 2 * DAY, start_afternoon=True)
    assert second.leave.days == Decimal("1.5")


def test_rejected_or_cancelled_leave_no_longer_overlaps(org, types):
    monday = next_monday(2)
    first = submit(org, types, monday, monday)
    services.cancel(first.pk, org["employee"])
    assert submit(org, types, monday, monday).stage == Stage.MANAGER_DECISION


def test_past_dates_are_refused(org, types):
    yesterday = timezone.localdate() - DAY
    with pytest.raises(WorkflowError, match="past"):
        submit(org, types, yesterday, yesterday + 3 * DAY)


def test_sick_leave_may_start_in_the_past_within_the_window(org, types):
    policy = LeavePolicy.current()
    policy.sick_leave_backdate_days = 3
    policy.save()
    today = timezone.localdate()
    certificate = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 medical", "application/pdf")
    ok = submit(org, types, today - 2 * DAY, today + 2 * DAY, code="leave-sick",
                uploads=[certificate])
    assert ok.attachments.count() == 1
    with pytest.raises(WorkflowError, match="3 days in the past"):
        submit(org, types, today - 10 * DAY, today - 8 * DAY, code="leave-sick",
               uploads=[SimpleUploadedFile("c.pdf", b"x", "application/pdf")])


def test_sick_leave_needs_the_medical_certificate(org, types):
    monday = next_monday(2)
    with pytest.raises(WorkflowError, match="Attach"):
        submit(org, types, monday, monday, code="leave-sick")


def test_beyond_the_balance_is_refused_and_pending_requests_count(org, types):
    monday = next_monday(2)
    LeavePolicy.objects.update(annual_entitlement=Decimal(5), carry_over_max_days=0)
    submit(org, types, monday, monday + 2 * DAY)  # 3 days pending
    with pytest.raises(WorkflowError, match="only 2.0 are left"):
        submit(org, types, monday + 7 * DAY, monday + 9 * DAY)  # 3 more: 6 > 5
    ok = submit(org, types, monday + 7 * DAY, monday + 8 * DAY)  # exactly the 2 left
    assert ok.leave.days == 2


def test_exceptional_leave_is_capped_per_request_and_needs_a_reason(org, types):
    monday = next_monday(2)
    with pytest.raises(WorkflowError, match="required"):
        submit(org, types, monday, monday, code="leave-exceptional")
    with pytest.raises(WorkflowError, match="at most 10"):
        submit(org, types, monday, monday + 20 * DAY, code="leave-exceptional", reason="Mariage")


def test_approval_takes_the_days_in_the_same_transaction(org, types):
    monday = next_monday(2)
    year = monday.year
    before = leave.balance_for(org["employee"], year).remaining
    req = submit(org, types, monday, monday + 2 * DAY)
    assert leave.balance_for(org["employee"], year).remaining == before
    services.decide(req.pk, org["director"], approve=True)
    balance = LeaveBalance.objects.get(employee=org["employee"], year=year)
    assert balance.remaining == before - 3
    taken = balance.entries.get(kind=LeaveBalanceEntry.Kind.TAKEN)
    assert (taken.days, taken.request_id, taken.by) == (Decimal(-3), req.pk, org["director"])


def test_maternity_and_paternity_leave_count_calendar_days(org, types):
    monday = next_monday(2)
    sunday = monday + 6 * DAY
    parental = submit(org, types, monday, sunday, code="leave-parental")
    assert parental.leave.days == 7  # the weekend counts
    with translation.override("en"):
        assert services.summary(parental).endswith(": 7 days (calendar days).")
    with translation.override("ar"):  # the noun agrees with the number (3 to 10: plural)
        assert services.summary(parental).endswith(": 7 أيام (أيام متتالية).")
    later = max(next_monday(4), monday + 14 * DAY)  # a week without public holidays
    annual = submit(org, types, later, later + 6 * DAY)
    assert annual.leave.days == 5  # working days only
    assert leave.quote(org["employee"], types["leave-parental"], monday, sunday).calendar_days


def test_balance_history_cannot_be_changed_or_deleted(org, types):
    monday = next_monday(2)
    services.decide(submit(org, types, monday, monday + 2 * DAY).pk, org["director"], approve=True)
    entry = LeaveBalanceEntry.objects.get(kind=LeaveBalanceEntry.Kind.TAKEN)
    entry.days = Decimal(-1)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        LeaveBalanceEntry.objects.filter(pk=entry.pk).update(days=0)
    with pytest.raises(PermissionError):
        LeaveBalanceEntry.objects.filter(pk=entry.pk).delete()
    # Nor can removing the balance or the person take the history with it.
    with pytest.raises(ProtectedError):
        entry.balance.delete()
    # Below the ORM, the database refuses too (trigger from the migration).
    table = LeaveBalanceEntry._meta.db_table
    with pytest.raises(IntegrityError if connection.vendor == "sqlite" else DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET days = 0 WHERE id = %s", [entry.pk])
    assert LeaveBalanceEntry.objects.get(pk=entry.pk).days == Decimal(-3)


def test_approval_that_would_exceed_the_balance_rolls_back_entirely(org, types):
    monday = next_monday(2)
    req = submit(org, types, monday, monday + 2 * DAY)
    # HR removed days in the meantime: the approval must not half-happen.
    services.adjust_balance(org["employee"], monday.year, Decimal(-21), "Correction", org["hr"])
    with pytest.raises(WorkflowError, match="cannot be approved"):
        services.decide(req.pk, org["director"], approve=True)
    req.refresh_from_db()
    assert req.stage == Stage.MANAGER_DECISION
    assert req.transitions.count() == 1
    assert leave.balance_for(org["employee"], monday.year).taken == 0


def test_approved_leave_can_be_cancelled_before_it_starts_and_days_come_back(org, types):
    monday = next_monday(2)
    req = submit(org, types, monday, monday + 2 * DAY)
    services.decide(req.pk, org["director"], approve=True)
    services.cancel(req.pk, org["employee"])
    balance = leave.balance_for(org["employee"], monday.year)
    assert balance.taken == 0
    assert balance.entries.filter(kind=LeaveBalanceEntry.Kind.RESTORED, days=3).exists()


def test_leave_that_started_cannot_be_cancelled(org, types):
    today = timezone.localdate()
    certificate = SimpleUploadedFile("c.pdf", b"%PDF medical", "application/pdf")
    req = submit(org, types, today - DAY, today + DAY, code="leave-sick", uploads=[certificate])
    with pytest.raises(WorkflowError, match="no longer be cancelled"):
        services.cancel(req.pk, org["employee"])


def test_carry_over_follows_the_policy_cap(org):
    LeavePolicy.objects.update(annual_entitlement=Decimal(22), carry_over_max_days=Decimal(10))
    employee = org["employee"]
    last_year = leave.balance_for(employee, 2030)
    assert last_year.remaining == 22 and last_year.carried_over == 0
    LeaveBalance.objects.filter(pk=last_year.pk).update(taken=Decimal(4))  # 18 left
    next_year = leave.balance_for(employee, 2031)
    assert next_year.carried_over == 10
    assert next_year.remaining == 32
    kinds = list(next_year.entries.values_list("kind", "days"))
    assert kinds == [("entitlement", Decimal(22)), ("carry_over", Decimal(10))]
    LeaveBalance.objects.filter(pk=next_year.pk).update(taken=Decimal(30))  # 2 left
    assert leave.balance_for(employee, 2032).carried_over == 2


def test_hr_adjustment_needs_a_reason_and_is_in_the_history(org):
    with pytest.raises(WorkflowError, match="reason"):
        services.adjust_balance(org["employee"], 2030, Decimal(2), "  ", org["hr"])
    balance = services.adjust_balance(org["employee"], 2030, Decimal("2.5"),
                                      "Récupération", org["hr"])
    assert balance.remaining == Decimal("24.5")
    entry = balance.entries.get(kind=LeaveBalanceEntry.Kind.ADJUSTMENT)
    assert (entry.days, entry.reason, entry.by) == (Decimal("2.5"), "Récupération", org["hr"])
