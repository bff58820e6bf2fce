"""Working days: weekends and Morocco's public holidays (the holidays package,
Islamic holidays included, with HR's overrides) excluded, half days, and
leave spanning two years charged to each year for its own days."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from requests import leave, services
from requests.holidays import holidays_between
from requests.leave import days_by_year, working_days
from requests.models import LeaveBalanceEntry, PublicHoliday

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_week_counts_five_days_weekend_excluded():
    # 2027-03-01 is a Monday; no holiday that week.
    assert working_days(D(2027, 3, 1), D(2027, 3, 7)) == Decimal(5)


def test_friday_to_monday_across_a_weekend_costs_two_days():
    assert working_days(D(2027, 3, 5), D(2027, 3, 8)) == Decimal(2)


def test_weekend_only_costs_nothing():
    assert working_days(D(2027, 3, 6), D(2027, 3, 7)) == Decimal(0)


@pytest.mark.parametrize("start, end, days, why", [
    (D(2026, 11, 16), D(2026, 11, 20), 4, "Wednesday 18 November 2026: Independence Day"),
    (D(2027, 7, 26), D(2027, 8, 1), 4, "Friday 30 July 2027: Throne Day"),
    (D(2026, 1, 12), D(2026, 1, 16), 4, "Wednesday 14 January 2026: Amazigh New Year"),
    (D(2026, 5, 25), D(2026, 5, 29), 3, "27-28 May 2026: Eid al-Adha (estimated)"),
    (D(2027, 3, 8), D(2027, 3, 12), 3, "9-10 March 2027: Eid al-Fitr (estimated)"),
    (D(2026, 8, 24), D(2026, 8, 28), 3, "25-26 August 2026: the Prophet's birthday (estimated)"),
    (D(2027, 8, 9), D(2027, 8, 15), 5, "14-15 August 2027 fall on the weekend: not subtracted"),
])
def test_known_moroccan_holidays_of_2026_and_2027(start, end, days, why):
    assert working_days(start, end) == Decimal(days), why


def test_holiday_names_in_the_readers_language():
    with translation.override("ar"):
        assert holidays_between(D(2026, 11, 18), D(2026, 11, 18)) == {
            D(2026, 11, 18): "عيد الاستقلال"}
    assert "Fête du Trône" in holidays_between(D(2027, 7, 30), D(2027, 7, 30), "fr").values()


def test_hr_overrides_the_estimated_date_of_an_islamic_holiday():
    # Announced: Eid al-Fitr 2027 on 10-11 March, not the estimated 9-10.
    PublicHoliday.objects.create(date=D(2027, 3, 9), is_holiday=False)
    PublicHoliday.objects.create(date=D(2027, 3, 11), name_ar="عيد الفطر", name_fr="Aïd al-Fitr")
    assert working_days(D(2027, 3, 9), D(2027, 3, 9)) == Decimal(1)
    assert working_days(D(2027, 3, 11), D(2027, 3, 11)) == Decimal(0)
    assert working_days(D(2027, 3, 8), D(2027, 3, 12)) == Decimal(3)
    with translation.override("fr"):
        assert holidays_between(D(2027, 3, 11), D(2027, 3, 11)) == {D(2027, 3, 11): "Aïd al-Fitr"}


def test_an_added_holiday_needs_its_names():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        PublicHoliday(date=D(2027, 4, 2), name_fr="Jour férié").full_clean()
    PublicHoliday(date=D(2027, 4, 2), is_holiday=False).full_clean()  # cancelling needs none


def test_half_days_at_both_ends():
    monday, wednesday = D(2027, 3, 1), D(2027, 3, 3)
    assert working_days(monday, wednesday, start_afternoon=True) == Decimal("2.5")
    assert working_days(monday, wednesday, end_morning=True) == Decimal("2.5")
    assert working_days(monday, wednesday, start_afternoon=True, end_morning=True) == Decimal(2)
    assert working_days(monday, monday, end_morning=True) == Decimal("0.5")


def test_half_day_on_a_holiday_costs_nothing_extra():
    # Monday 1 May 2028 is Labour Day.
    assert working_days(D(2028, 5, 1), D(2028, 5, 2), start_afternoon=True) == Decimal(1)


def test_leave_across_new_year_splits_by_year():
    # Monday 28 December 2026 to Friday 8 January 2027; 1 January is a holiday.
    parts = days_by_year(D(2026, 12, 28), D(2027, 1, 8))
    assert parts == {2026: Decimal(4), 2027: Decimal(5)}
    assert days_by_year(D(2026, 12, 31), D(2027, 1, 4), start_afternoon=True,
                        end_morning=True) == {2026: Decimal("0.5"), 2027: Decimal("0.5")}
    assert days_by_year(D(2026, 12, 28), D(2027, 1, 8), by_calendar=True) == {
        2026: Decimal(4), 2027: Decimal(8)}


def test_approved_leave_across_two_years_is_charged_to_each_years_balance(org, types):
    year = timezone.localdate().year + 1
    start, end = D(year, 12, 27), D(year + 1, 1, 5)  # under the director threshold
    parts = days_by_year(start, end)
    assert all(parts.values()) and len(parts) == 2
    employee = org["employee"]
    req = services.submit_leave(employee, types["leave-annual"], start=start, end=end)
    assert req.leave.days == sum(parts.values())
    assert leave.pending_days(employee, year) == parts[year]
    assert leave.pending_days(employee, year + 1) == parts[year + 1]
    services.decide(req.pk, org["director"], approve=True)
    first, second = leave.balance_for(employee, year), leave.balance_for(employee, year + 1)
    assert (first.taken, second.taken) == (parts[year], parts[year + 1])
    services.cancel(req.pk, employee)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.taken == second.taken == 0
    assert LeaveBalanceEntry.objects.filter(request=req,
                                            kind=LeaveBalanceEntry.Kind.RESTORED).count() == 2


def test_next_years_balance_limits_its_own_days(org, types):
    year = timezone.localdate().year + 1
    employee = org["employee"]
    services.adjust_balance(employee, year + 1, Decimal(-20), "Correction", org["hr"])
    left = leave.available_days(employee, year + 1)
    start, end = D(year, 12, 1), D(year + 1, 1, 29)
    with translation.override("en"), pytest.raises(Exception) as refused:
        services.submit_leave(employee, types["leave-annual"], start=start, end=end)
    assert f"in {year + 1}" in str(refused.value) and str(left) in str(refused.value)
