"""Training's live events, captured through the harness (collab.testing)."""

from collab import events
from collab.testing import capture_events
from training import services, services_content
from training.models import Course

from .content_helpers import build_course_content, local_store_fixture, right_answers  # noqa: F401


def test_enrolling_then_withdrawing_tells_the_learner(training_world):
    learner, course = training_world["staff"], training_world["open_course"]
    with capture_events() as captured:
        enrolment = services.enrol(learner, Course.objects.get(pk=course.pk))
    captured.assert_published(events.TRAINING_ENROLMENT_CHANGED, to=learner.pk,
                              course=course.code, status=enrolment.status)
    with capture_events() as captured:
        services.withdraw(learner, course)
    captured.assert_published(events.TRAINING_ENROLMENT_CHANGED, to=learner.pk,
                              course=course.code, status="withdrawn")


def test_lessons_and_a_quiz_tell_the_learner_their_progress(training_world, local_store):
    from training.models import Enrolment

    course, learner = training_world["open_course"], training_world["staff"]
    content = build_course_content(course, training_world["trainer"])
    Enrolment.objects.create(course=course, user=learner, status=Enrolment.Status.ENROLLED)

    with capture_events() as captured:
        services_content.record_video_position(learner, content["video"], 3)
        services_content.mark_read(learner, content["text"])
    progress = captured.of(events.TRAINING_PROGRESS)
    assert [c.data["lesson"] for c in progress] == [content["video"].pk, content["text"].pk]
    captured.assert_published(events.TRAINING_PROGRESS, to=learner.pk, course=course.code,
                              lesson=content["text"].pk, completed=False)

    with capture_events() as captured:
        services_content.submit_quiz(learner, content["quiz"], right_answers(content["questions"]))
    captured.assert_published(events.TRAINING_RESULT, to=learner.pk, lesson=content["quiz"].pk,
                              kind="quiz", passed=True, score=100)
