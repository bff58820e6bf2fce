import pytest
from django.db import IntegrityError, transaction

pytestmark = pytest.mark.django_db


def test_a_learner_is_enrolled_once_and_progress_stays_in_range(training_world):
    from training.models import Enrolment

    course, staff = training_world["open_course"], training_world["staff"]
    Enrolment.objects.create(course=course, user=staff, status=Enrolment.Status.ENROLLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(course=course, user=staff, status=Enrolment.Status.ENROLLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.filter(course=course, user=staff).update(progress_percent=101)
    assert Enrolment.objects.get(course=course, user=staff).progress_percent == 0


def test_a_mandatory_assignment_targets_exactly_one_of_directorate_or_group(training_world):
    import datetime

    from django.contrib.auth.models import Group

    from training.models import MandatoryAssignment

    course, hr = training_world["open_course"], training_world["hr"]
    group = Group.objects.create(name="webmasters")
    due = datetime.date(2027, 1, 31)
    with pytest.raises(IntegrityError), transaction.atomic():
        MandatoryAssignment.objects.create(course=course, due_date=due, assigned_by=hr)
    with pytest.raises(IntegrityError), transaction.atomic():
        MandatoryAssignment.objects.create(
            course=course, directorate=training_world["central"], group=group, due_date=due
        )
    MandatoryAssignment.objects.create(course=course, group=group, due_date=due, assigned_by=hr)


def test_visibility_follows_audience_and_publication(training_world):
    from training import policies

    w = training_world
    seen = set(policies.visible_courses(w["staff"]).values_list("code", flat=True))
    assert seen == {"press-law"}
    seen = set(policies.visible_courses(w["regional_staff"]).values_list("code", flat=True))
    assert seen == {"press-law", "regional-only"}
    assert policies.visible_courses(w["hr"]).count() == 3
    assert policies.can_manage_course(w["trainer"], w["open_course"])
    assert not policies.can_manage_course(w["trainer"], w["regional"])
    assert not policies.can_manage_course(w["staff"], w["open_course"])


def test_catalogue_and_course_pages(training_world, client_for):
    w = training_world
    client = client_for(w["staff"])
    page = client.get("/training/")
    assert page.status_code == 200
    assert "press-law" in page.content.decode()
    assert "regional-only" not in page.content.decode()
    assert client.get("/training/courses/press-law/").status_code == 200
    # Outside the audience or unpublished: the same 404 as a missing course.
    assert client.get("/training/courses/regional-only/").status_code == 404
    assert client.get("/training/courses/draft/").status_code == 404
    assert client.get("/training/courses/nothing/").status_code == 404
    assert client.get("/training/mine/").status_code == 200
    assert client.get("/training/reports/").status_code == 403
    assert client_for(w["hr"]).get("/training/reports/").status_code == 200

