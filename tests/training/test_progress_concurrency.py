"""Learners reporting video progress at the same moment never wait on each
other: each report is one UPSERT of the learner's own row (PostgreSQL in CI)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from tests.training.content_helpers import (  # noqa: F401 - a fixture
    build_course_content,
    local_store_fixture,
)

pytestmark = pytest.mark.django_db(transaction=True)

LEARNERS = 8


def test_simultaneous_reports_of_many_learners_are_all_stored(training_world, user_factory,
                                                              local_store):
    from training import services_content as services
    from training.models import Enrolment
    from training.models_content import LessonProgress

    course = training_world["open_course"]
    course.seats = None
    course.save()
    content = build_course_content(course, training_world["trainer"])
    learners = [user_factory(directorate=training_world["central"]) for _ in range(LEARNERS)]
    for learner in learners:
        Enrolment.objects.create(course=course, user=learner, status="enrolled")
    video = content["video"]
    start = threading.Barrier(LEARNERS)
    errors = []

    def watch(learner):
        try:
            start.wait(timeout=10)
            for position in (0.5, 1.5, 2.9, 1.0):  # the last one after a seek back
                services.record_video_position(learner, video, position)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=watch, args=(learner,)) for learner in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    rows = LessonProgress.objects.filter(lesson=video)
    assert rows.count() == LEARNERS
    assert {(r.position, r.max_position, r.completed_at is not None) for r in rows} == {
        (1.0, 2.9, True)}
    assert set(Enrolment.objects.filter(user__in=learners).values_list(
        "status", "progress_percent")) == {("in_progress", 33)}
