"""Public holidays: Morocco's calendar from the ``holidays`` package (Islamic
holidays included, at their estimated dates) with HR's overrides on top.

The Islamic holidays follow the sighting of the moon, so the announced date
may differ by a day from the estimate: HR records the announced date as a
holiday and cancels the estimated one (``PublicHoliday`` rows, in the admin).
Every count of working days (leave, service-norm deadlines, the team calendar)
reads ``holidays_between`` here.
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays as calendars
from django.utils import translation

# The package's names of the languages we show (its English is en_US).
PACKAGE_LANGUAGES = {"ar": "ar", "fr": "fr", "en": "en_US"}


@lru_cache(maxsize=32)
def _calendar(year: int, language: str) -> tuple[tuple[datetime.date, str], ...]:
    # Built once per year and language: the package computes the lunar dates.
    return tuple(sorted(calendars.Morocco(years=year, language=language).items()))


def _package_language(language: str | None) -> str:
    code = (language or translation.get_language() or "ar").split("-")[0]
    return PACKAGE_LANGUAGES.get(code, "fr")


def calendar_holidays(start: datetime.date, end: datetime.date,
                      language: str = "fr") -> dict[datetime.date, str]:
    """The package's holidays alone (no overrides, no database)."""
    found: dict[datetime.date, str] = {}
    for year in range(start.year, end.year + 1):
        for day, name in _calendar(year, _package_language(language)):
            if start <= day <= end:
                found[day] = name
    return found


def holidays_between(start: datetime.date, end: datetime.date,
                     language: str | None = None) -> dict[datetime.date, str]:
    """Every public holiday from ``start`` to ``end`` inclusive -> its name in
    ``language`` (default: the active one)."""
    from .models import PublicHoliday

    if end < start:
        return {}
    found = calendar_holidays(start, end, language or translation.get_language())
    with translation.override(language or translation.get_language()):
        for override in PublicHoliday.objects.filter(date__gte=start, date__lte=end):
            if override.is_holiday:
                found[override.date] = override.name
            else:
                found.pop(override.date, None)
    return found


def holiday_dates(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    return set(holidays_between(start, end, language="fr"))
