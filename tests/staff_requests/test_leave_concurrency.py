"""Leave balances hold under concurrency, on PostgreSQL with one connection per
thread: requests submitted at once never ask together for more than is
available, and approvals, submissions and an HR adjustment running at once
never take more than the balance holds. Each refusal says why."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import translation

from requests import leave, services
from requests.workflow import WorkflowError

from .conftest import clear_year_holidays

YEAR = 2027
FIRST_MONDAY = datetime.date(YEAR, 2, 1)


def week(k: int) -> tuple[datetime.date, datetime.date]:
    start = FIRST_MONDAY + datetime.timedelta(weeks=k)
    return start, start + datetime.timedelta(days=4)  # Monday to Friday: 5 working days


def at_once(calls):
    """Run the callables in threads released together; ("ok", value) or
    ("refused", message) for each, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            with translation.override("en"):  # a new thread starts with no language
                outcomes[index] = ("ok", call())
        except WorkflowError as exc:
            outcomes[index] = ("refused", exc.message)
        except Exception as exc:  # reported by the assertions
            outcomes[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def submit(org, types, k):
    start, end = week(k)
    return lambda: services.submit_leave(org["employee"], types["leave-annual"],
                                         start=start, end=end)


@pytest.mark.django_db(transaction=True)
def test_requests_submitted_at_once_never_ask_more_than_is_available(org, types):
    clear_year_holidays(YEAR)
    employee = org["employee"]
    available = leave.available_days(employee, YEAR)
    fit = int(available // 5)
    outcomes = at_once([submit(org, types, k) for k in range(fit + 4)])
    accepted = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind != "ok"]
    assert len(accepted) == fit, outcomes
    assert len(refused) == 4
    for kind, message in (o for o in outcomes if o[0] != "ok"):
        assert kind == "refused" and "are left" in message, message
    assert leave.pending_days(employee, YEAR) == 5 * fit <= available
    assert leave.available_days(employee, YEAR) >= 0


@pytest.mark.django_db(transaction=True)
def test_approvals_submissions_and_an_adjustment_at_once_never_overdraw(org, types):
    clear_year_holidays(YEAR)
    employee, director, hr = org["employee"], org["director"], org["hr"]
    balance = leave.balance_for(employee, YEAR)
    fit = int(balance.remaining // 5)
    waiting = [submit(org, types, k)() for k in range(fit)]
    # Each of these alone is fine; together with HR taking days back they are not.
    calls = [
        (lambda r=r: services.decide(r.pk, director, approve=True, expected_step=1))
        for r in waiting
    ]
    calls.append(lambda: leave.adjust_balance(employee, YEAR, Decimal(-8), "Correction", hr))
    calls += [submit(org, types, k) for k in range(fit, fit + 3)]
    outcomes = at_once(calls)
    assert not [o for o in outcomes if o[0] == "error"], outcomes

    balance.refresh_from_db()
    assert balance.remaining >= 0, balance.remaining
    approved = [o for o in outcomes[:fit] if o[0] == "ok"]
    assert balance.taken == 5 * len(approved)
    assert len(approved) < fit  # the adjustment left no room for all of them
    for kind, message in outcomes[:fit]:
        if kind != "ok":
            assert "The balance is now" in message, message
    for kind, message in outcomes[fit + 1:]:
        if kind != "ok":
            assert "are left" in message, message
