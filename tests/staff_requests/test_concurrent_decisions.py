"""Two deciders at once record exactly one decision.

On PostgreSQL each thread has its own connection: the first locks the request
row (SELECT ... FOR UPDATE), the second waits, then sees the new stage and gets
DecisionConflict. On SQLite there are no row locks, but the database has one
writer at a time: the compare-and-set on ``version`` refuses the loser, and a
writer that finds the database locked gets the same DecisionConflict. Either
way, one decision is recorded and the other decider gets a clear message.
"""

import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections
from django.utils import translation

from requests import services
from requests.models import Request, RequestTransition, Stage
from requests.workflow import DecisionConflict

from .conftest import next_monday


def race(request_id, deciders_and_choices):
    barrier = threading.Barrier(len(deciders_and_choices))
    outcomes = [None] * len(deciders_and_choices)

    def run(index, user, approve):
        try:
            barrier.wait(timeout=5)
            services.decide(request_id, user, approve=approve, expected_step=1)
            outcomes[index] = "decided"
        except DecisionConflict as exc:
            outcomes[index] = ("conflict", exc.message)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcomes[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, user, approve))
               for i, (user, approve) in enumerate(deciders_and_choices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_double_click_from_two_threads_records_one_decision(org, types, round_):
    monday = next_monday(2 + round_)
    req = services.submit_leave(org["employee"], types["leave-annual"], start=monday,
                                end=monday + datetime.timedelta(days=1))
    director = org["director"]
    outcomes = race(req.pk, [(director, True), (director, False)])
    assert outcomes.count("decided") == 1, outcomes
    conflicts = [o for o in outcomes if o != "decided"]
    assert conflicts[0][0] == "conflict", outcomes
    req.refresh_from_db()
    assert req.stage in {Stage.COMPLETED, Stage.REJECTED}
    decisions = RequestTransition.objects.filter(request=req).exclude(action="submitted")
    assert decisions.count() == 1
    # Approved leave took its days exactly once.
    from requests.leave import balance_for

    taken = balance_for(org["employee"], monday.year).taken
    assert taken == (2 if req.stage == Stage.COMPLETED else 0)
    assert Request.objects.get(pk=req.pk).version == 2


def race_moves(moves):
    """Run the callables at once from threads; outcome per move."""
    barrier = threading.Barrier(len(moves))
    outcomes = [None] * len(moves)

    def run(index, move):
        try:
            barrier.wait(timeout=5)
            move()
            outcomes[index] = "done"
        except DecisionConflict as exc:
            outcomes[index] = ("conflict", exc.message)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            outcomes[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, move)) for i, move in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_officers_of_the_pool_one_approves_the_other_returns(org, types, user_factory):
    second = user_factory(directorate=org["hr"].directorate, role="hr_officer",
                          username="hr2")
    req = services.submit_certificate(org["employee"], types["certificate-work"],
                                      language="fr")
    outcomes = race_moves([
        lambda: services.decide(req.pk, org["hr"], approve=True, expected_step=1),
        lambda: services.return_for_correction(req.pk, second, expected_step=1,
                                               items=[{"kind": "text", "text": "x"}]),
    ])
    assert sorted(o if o == "done" else o[0] for o in outcomes) == ["conflict", "done"]
    loser = next(o for o in outcomes if o != "done")
    req.refresh_from_db()
    winner = org["hr"] if req.stage == Stage.COMPLETED else second
    # The loser is told who decided first (threads speak the default language,
    # whatever an earlier test left active in this one).
    with translation.override(settings.LANGUAGE_CODE):
        assert winner.display_name in loser[1], loser
    assert req.version == 2 and req.stage in {Stage.COMPLETED, Stage.RETURNED}
    assert RequestTransition.objects.filter(request=req).count() == 2
    from django.core.management import call_command

    call_command("verify_timeline")
