"""Enrolling: open self-enrolment, the waiting list, the manager's approval on
the engine (from the live notification), mandatory courses assigned by HR."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _status(course, user):
    from training.models import Enrolment

    return Enrolment.objects.get(course=course, user=user).status


def test_open_enrolment_twice_and_past_capacity(english_world, client_for, user_factory):
    from chat.models import Membership
    from training.models import Enrolment

    w = english_world
    course = w["open_course"]  # two seats
    client = client_for(w["staff"])
    page = client.post("/training/courses/press-law/enrol/", follow=True)
    assert "You are enrolled." in page.content.decode()
    assert _status(course, w["staff"]) == Enrolment.Status.ENROLLED
    # The learner joins the course's conversation, with its trainer.
    course.refresh_from_db()
    members = set(Membership.objects.filter(conversation=course.conversation)
                  .values_list("user_id", flat=True))
    assert members == {w["staff"].pk, w["trainer"].pk}

    page = client.post("/training/courses/press-law/enrol/", follow=True)
    assert "You are already enrolled in this course." in page.content.decode()
    assert Enrolment.objects.filter(course=course, user=w["staff"]).count() == 1

    client_for(w["other"]).post("/training/courses/press-law/enrol/")
    late = user_factory(directorate=w["central"], preferred_language="en")
    page = client_for(late).post("/training/courses/press-law/enrol/", follow=True)
    assert "number 1 on the waiting list" in page.content.decode()
    assert _status(course, late) == Enrolment.Status.WAITING_LIST
    assert course.enrolments.filter(status__in=Enrolment.SEATED).count() == 2

    # A seat frees up: the first on the waiting list gets it and is told.
    page = client.post("/training/courses/press-law/withdraw/", follow=True)
    assert "You have left the course." in page.content.decode()
    assert _status(course, w["staff"]) == Enrolment.Status.WITHDRAWN
    assert _status(course, late) == Enrolment.Status.ENROLLED
    assert late.notifications.filter(kind="training.seat").exists()
    assert not Membership.objects.filter(conversation=course.conversation,
                                         user=w["staff"]).exists()
    # Back in: the course is full again, so the waiting list.
    client.post("/training/courses/press-law/enrol/")
    assert _status(course, w["staff"]) == Enrolment.Status.WAITING_LIST


def test_outside_the_audience_nothing_is_written(english_world, client_for):
    from training.models import Enrolment

    w = english_world
    response = client_for(w["staff"]).post("/training/courses/regional-only/enrol/")
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_taking_the_last_seat_at_once(english_world, user_factory):
    from training import services
    from training.models import Course, Enrolment

    w = english_world
    Course.objects.filter(pk=w["open_course"].pk).update(seats=1)
    people = [w["staff"], w["other"], user_factory(directorate=w["central"])]
    barrier = threading.Barrier(len(people))
    errors = []

    def take(person):
        try:
            barrier.wait()
            services.enrol(person, Course.objects.get(pk=w["open_course"].pk))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    statuses = sorted(Enrolment.objects.values_list("status", flat=True))
    assert statuses == ["enrolled", "waiting_list", "waiting_list"]


def test_manager_approves_from_the_notification(english_world, client_for):
    from requests.models import Request
    from training.models import Course, Enrolment

    w = english_world
    course = w["open_course"]
    Course.objects.filter(pk=course.pk).update(enrolment_mode="manager_approval")
    page = client_for(w["staff"]).post("/training/courses/press-law/enrol/", follow=True)
    assert "sent to your manager" in page.content.decode()
    enrolment = Enrolment.objects.get(course=course, user=w["staff"])
    assert enrolment.status == Enrolment.Status.PENDING_APPROVAL
    application = Request.objects.get(pk=enrolment.application_id)
    assert application.request_type.family == "training"

    # The manager's live notification carries the approve button, like leave.
    notice = w["manager"].notifications.get(kind="request.decision_needed")
    approve = next(a for a in notice.actions if "approve" in a["url"])
    assert "Droit de la presse" in notice.body or "قانون الصحافة" in notice.body
    response = client_for(w["manager"]).post(
        approve["url"], {"comment": ""}, HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"notif-{notice.pk}")
    assert response.status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.ENROLLED
    assert enrolment.enrolled_at is not None


def test_rejection_and_cancel_leave_no_seat(english_world, client_for):
    from requests import lifecycle
    from training import services
    from training.models import Course, Enrolment

    w = english_world
    Course.objects.filter(pk=w["open_course"].pk).update(enrolment_mode="manager_approval")
    course = Course.objects.get(pk=w["open_course"].pk)
    enrolment = services.enrol(w["staff"], course)
    lifecycle.decide(enrolment.application_id, w["manager"], approve=False, comment="later")
    assert _status(course, w["staff"]) == Enrolment.Status.WITHDRAWN

    # Asking again works; cancelling the request before the answer withdraws it.
    enrolment = services.enrol(w["staff"], course)
    assert enrolment.status == Enrolment.Status.PENDING_APPROVAL
    services.withdraw(w["staff"], course)
    assert _status(course, w["staff"]) == Enrolment.Status.WITHDRAWN
    with pytest.raises(services.TrainingError):
        services.withdraw(w["staff"], course)


def test_hr_makes_a_course_mandatory_for_a_directorate(english_world, client_for,
                                                      directorate_factory, user_factory):
    from training.models import Enrolment, MandatoryAssignment

    w = english_world
    below = directorate_factory(kind="central", parent=w["central"])
    deep = user_factory(directorate=below, preferred_language="en")
    due = timezone.localdate() + datetime.timedelta(days=30)
    url = "/training/courses/press-law/mandatory/"
    assert client_for(w["staff"]).post(url, {"directorate": w["central"].pk,
                                             "due_date": due}).status_code == 403
    hr = client_for(w["hr"])
    # Neither target, or a past date: a message beside the field, nothing written.
    page = hr.post(url, {"due_date": due})
    assert "Choose a directorate or a group." in page.content.decode()
    page = hr.post(url, {"directorate": w["central"].pk, "due_date": "2001-01-01"})
    assert "The due date is in the past." in page.content.decode()
    assert not MandatoryAssignment.objects.exists() and not Enrolment.objects.exists()

    response = hr.post(url, {"directorate": w["central"].pk, "due_date": due.isoformat()})
    assert response.status_code == 302
    enrolments = Enrolment.objects.filter(course=w["open_course"])
    # Everyone in the directorate and below, past the two seats: HR decided.
    assert deep.pk in set(enrolments.values_list("user_id", flat=True))
    assert enrolments.count() == 6
    assert set(enrolments.values_list("status", "source", "due_date")) == {
        ("enrolled", "assigned", due)}
    assert deep.notifications.filter(kind="training.mandatory").exists()
    # A mandatory course cannot be left by the learner.
    page = client_for(deep).post("/training/courses/press-law/withdraw/", follow=True)
    assert "only HR can release you" in page.content.decode()


def test_approved_when_the_seats_are_gone_waits_for_one(english_world, user_factory):
    from requests import lifecycle
    from training import services
    from training.models import Course, Enrolment

    w = english_world
    Course.objects.filter(pk=w["open_course"].pk).update(
        enrolment_mode="manager_approval", seats=1)
    course = Course.objects.get(pk=w["open_course"].pk)
    first = services.enrol(w["staff"], course)
    second = services.enrol(w["other"], course)
    lifecycle.decide(first.application_id, w["manager"], approve=True)
    lifecycle.decide(second.application_id, w["manager"], approve=True)
    assert _status(course, w["staff"]) == Enrolment.Status.ENROLLED
    assert _status(course, w["other"]) == Enrolment.Status.WAITING_LIST
    notice = w["other"].notifications.get(kind="training.waiting")
    assert "number 1 on the waiting list" in notice.title
