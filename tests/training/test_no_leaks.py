"""Training's own no-leak check (see tests/collab/test_no_leaks.py): a course
outside your audience, or someone else's enrolment, answers exactly like one
that does not exist. Every parametrised training URL needs a case here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.collab.test_no_leaks import _answer, _parametrised_url_names
from tests.training.content_helpers import CONTENT_CASES, leak_world

MISSING_INT = 987_654_321
MISSING_CODE = "no-course-by-this-code"


def _course(key):
    return lambda w: ({"code": w[key].code}, {"code": MISSING_CODE})


def _session(w):
    session = w["regional_session"]
    return ({"code": session.course.code, "pk": session.pk},
            {"code": session.course.code, "pk": MISSING_INT})


# name -> world -> (kwargs of an object the viewer may not see, kwargs of a missing one)
CASES = {
    "training:course": _course("regional"),
    "training:enrol": _course("regional"),
    "training:withdraw": _course("regional"),
    "training:learners": _course("regional"),
    "training:mandatory": _course("regional"),
    "training:announce": _course("regional"),
    "training:session_new": _course("regional"),
    "training:attendance": _session,
    "training:session_ics": _session,
}
CASES.update(CONTENT_CASES)  # lessons, submissions, certificates, authoring


@pytest.fixture
def world(training_world):
    import datetime

    from django.utils import timezone

    from training.models import LiveSession

    start = timezone.now() + datetime.timedelta(days=2)
    session = LiveSession.objects.create(
        course=training_world["regional"], starts_at=start,
        ends_at=start + datetime.timedelta(hours=1), meeting_url="https://meet.example/r")
    # The viewer: central staff, outside the regional course's audience.
    return {**training_world, **leak_world(training_world), "viewer": training_world["staff"],
            "regional_session": session}


def test_every_training_url_with_a_parameter_has_a_case():
    own = {name for name in _parametrised_url_names() if name.startswith("training:")}
    assert own == set(CASES), sorted(own ^ set(CASES))


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_course_or_enrolment_you_may_not_see_answers_as_a_missing_one(
    name, world, client_for
):
    existing, missing = CASES[name](world)
    client = client_for(world["viewer"])
    statuses = set()
    for method in ("get", "post"):
        send = getattr(client, method)
        hidden = _answer(send(reverse(name, kwargs=existing)))
        absent = _answer(send(reverse(name, kwargs=missing)))
        assert hidden == absent, (method, hidden[0], absent[0], hidden[1][:300])
        statuses.add(hidden[0])
    assert 404 in statuses and 403 not in statuses, statuses
