"""The service-norm clock: deadlines in working days.

A step's deadline is its norm in working days (weekends and public
holidays skipped) after the step was entered; while the ball is with the
applicant (returned for correction) or the application is suspended the clock
stops, and the deadline moves back by the time it was stopped.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

WEEKEND = {5, 6}  # Saturday, Sunday


def add_working_days(start: datetime.datetime, days: int,
                     holidays: set[datetime.date] | None = None) -> datetime.datetime:
    """``start`` moved forward by ``days`` working days (same time of day)."""
    if holidays is None:
        from .holidays import holiday_dates

        holidays = holiday_dates(start.date(),
                                 start.date() + datetime.timedelta(days=days * 3 + 14))
    moment = start
    left = days
    while left > 0:
        moment += datetime.timedelta(days=1)
        if moment.weekday() not in WEEKEND and timezone.localdate(moment) not in holidays:
            left -= 1
    return moment


def start_step(request, step, now: datetime.datetime | None = None) -> None:
    """The clock of a newly entered step starts now."""
    now = now or timezone.now()
    request.stage_entered_at = now
    request.clock_stopped_at = None
    request.due_at = add_working_days(now, step.norm_days) if step is not None else None


def stop(request, now: datetime.datetime | None = None) -> None:
    if request.clock_stopped_at is None:
        request.clock_stopped_at = now or timezone.now()


def restart(request, now: datetime.datetime | None = None) -> None:
    """The ball is back with the ministry: the deadline moves by the stopped time."""
    now = now or timezone.now()
    if request.clock_stopped_at is not None and request.due_at is not None:
        request.due_at += now - request.clock_stopped_at
    request.clock_stopped_at = None


def clear(request) -> None:
    request.due_at = None
    request.clock_stopped_at = None
