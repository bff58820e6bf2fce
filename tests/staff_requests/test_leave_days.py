"""Working days: weekends (Saturday, Sunday) and HR's public holidays excluded, half days."""

import datetime
from decimal import Decimal

import pytest

from requests.leave import seed_public_holidays, working_days
from requests.models import PublicHoliday

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_week_counts_five_days_weekend_excluded():
    # 2027-03-01 is a Monday.
    assert working_days(D(2027, 3, 1), D(2027, 3, 7)) == Decimal(5)


def test_friday_to_monday_across_a_weekend_costs_two_days():
    assert working_days(D(2027, 3, 5), D(2027, 3, 8)) == Decimal(2)


def test_weekend_only_costs_nothing():
    assert working_days(D(2027, 3, 6), D(2027, 3, 7)) == Decimal(0)


def test_public_holidays_are_not_counted():
    # Throne day, Friday 30 July 2027.
    PublicHoliday.objects.create(date=D(2027, 7, 30), name_ar="عيد العرش", name_fr="Fête du trône")
    assert working_days(D(2027, 7, 26), D(2027, 8, 1)) == Decimal(4)


def test_holiday_on_a_weekend_is_not_subtracted_twice():
    PublicHoliday.objects.create(date=D(2027, 8, 14), name_ar="x", name_fr="x")  # a Saturday
    assert working_days(D(2027, 8, 9), D(2027, 8, 15)) == Decimal(5)


def test_half_days_at_both_ends():
    monday, wednesday = D(2027, 3, 1), D(2027, 3, 3)
    assert working_days(monday, wednesday, start_afternoon=True) == Decimal("2.5")
    assert working_days(monday, wednesday, end_morning=True) == Decimal("2.5")
    assert working_days(monday, wednesday, start_afternoon=True, end_morning=True) == Decimal(2)
    assert working_days(monday, monday, end_morning=True) == Decimal("0.5")


def test_half_day_on_a_holiday_costs_nothing_extra():
    PublicHoliday.objects.create(date=D(2027, 3, 1), name_ar="x", name_fr="x")
    assert working_days(D(2027, 3, 1), D(2027, 3, 2), start_afternoon=True) == Decimal(1)


def test_seeded_moroccan_holidays_cover_two_years():
    created = seed_public_holidays([2026, 2027])
    assert created >= 2 * 11
    assert PublicHoliday.objects.filter(date=D(2026, 11, 18)).exists()  # Independence day
    assert PublicHoliday.objects.filter(date=D(2027, 3, 10), name_fr="Aïd al-Fitr").exists()
    # Seeding again creates nothing new.
    assert seed_public_holidays([2026, 2027]) == 0
    # 16-20 November 2026: Wednesday 18th is Independence Day.
    assert working_days(D(2026, 11, 16), D(2026, 11, 20)) == Decimal(4)
