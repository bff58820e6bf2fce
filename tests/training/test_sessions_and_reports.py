"""Live sessions (scheduling, .ics invitation, attendance, reminders), course
announcements, the catalogue's search and filters, and HR's reports."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _enrol(course, *people):
    from training import services

    return [services.enrol(person, course) for person in people]


def test_trainer_schedules_a_session_learners_get_invitation_and_reminder(
        english_world, client_for):
    from training.models import Attendance, LiveSession

    w = english_world
    course = w["open_course"]
    _enrol(course, w["staff"])
    trainer = client_for(w["trainer"])
    start = timezone.localtime() + datetime.timedelta(hours=5)
    form = {"title": "Séance 1, droit; presse", "meeting_url": "https://visio.gov.ma/r/42",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")}
    page = trainer.post("/training/courses/press-law/sessions/new/", form)
    assert "The session must end after it starts." in page.content.decode()
    assert not LiveSession.objects.exists()
    form["ends_at"] = (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    assert trainer.post("/training/courses/press-law/sessions/new/", form).status_code == 302
    session = LiveSession.objects.get()
    assert w["staff"].notifications.filter(kind="training.session").exists()
    # Staff who do not run the course cannot schedule: the course is visible, so 403.
    assert client_for(w["other"]).get(
        "/training/courses/press-law/sessions/new/").status_code == 403

    ics_url = f"/training/courses/press-law/sessions/{session.pk}/invite.ics"
    ics = client_for(w["staff"]).get(ics_url)
    assert ics["Content-Type"].startswith("text/calendar")
    text = ics.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "SUMMARY:Droit de la presse · Séance 1\\, droit\\; presse" in text.replace("\r\n ", "")
    utc_start = session.starts_at.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{utc_start}" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    # Not enrolled: no invitation.
    assert client_for(w["other"]).get(
        f"/training/courses/press-law/sessions/{session.pk}/invite.ics").status_code == 403

    out = io.StringIO()
    call_command("training_reminders", stdout=out)
    assert "1 session reminders" in out.getvalue()
    call_command("training_reminders", stdout=out)  # once per session
    assert w["staff"].notifications.filter(kind="training.reminder").count() == 1

    url = f"/training/courses/press-law/sessions/{session.pk}/attendance/"
    page = trainer.post(url, {"present": [str(w["other"].pk)]})
    assert "not enrolled in this course" in page.content.decode()
    assert not Attendance.objects.exists()
    trainer.post(url, {"present": [str(w["staff"].pk)]})
    assert Attendance.objects.get(user=w["staff"]).present is True
    assert f'value="{w["staff"].pk}" checked' in trainer.get(url).content.decode()
    learners = trainer.get("/training/courses/press-law/learners/").content.decode()
    assert w["staff"].display_name in learners and w["other"].display_name not in learners
    assert client_for(w["staff"]).get(
        "/training/courses/press-law/learners/").status_code == 403


def test_announcement_reaches_the_learners_only(english_world, client_for):
    w = english_world
    _enrol(w["open_course"], w["staff"])
    trainer = client_for(w["trainer"])
    page = trainer.post("/training/courses/press-law/announce/", {"title": "  "})
    assert "This field is required." in page.content.decode()
    trainer.post("/training/courses/press-law/announce/",
                 {"title": "Quiz moved", "body": "To Monday"})
    notice = w["staff"].notifications.get(kind="training.announcement")
    assert "Quiz moved" in notice.title and notice.body == "To Monday"
    assert not w["other"].notifications.filter(kind="training.announcement").exists()
    assert client_for(w["staff"]).post(
        "/training/courses/press-law/announce/", {"title": "x"}).status_code == 403


def test_catalogue_search_folds_arabic_and_filters(english_world, client_for):
    from training.models import Course

    w = english_world
    Course.objects.create(code="arabic-writing", title_ar="الكتابة الإدارية", title_fr="Rédaction",
                          domain=w["domain"], language="ar", format="scheduled", published=True,
                          audience_grades=["A1"])
    client = client_for(w["staff"])

    def codes(**query):
        page = client.get("/training/", query)
        assert page.status_code == 200
        return {c.code for c in page.context["page"].object_list}

    # Without the article and with another hamza form, as chat search does.
    assert codes(q="كتابة") == {"arabic-writing"}
    assert codes(q="الاداريه") == {"arabic-writing"}
    assert codes(q="presse") == {"press-law"}
    assert codes(format="scheduled") == {"arabic-writing"}
    assert codes(language="ar", domain="law") == {"press-law", "arabic-writing"}
    assert codes(grade="B2") == {"press-law"}
    assert codes(grade="A1") == {"press-law", "arabic-writing"}
    assert codes(directorate=w["region"].pk) == {"press-law", "arabic-writing"}
    # A refused query (too long): said beside the field, and no filter applied.
    assert codes(q="x" * 101) == {"press-law", "arabic-writing"}
    assert "at most 100 characters" in client.get("/training/", {"q": "x" * 101}).content.decode()


def test_dashboard_and_hr_reports_with_exports(english_world, client_for):
    from training import services
    from training.models import Enrolment

    w = english_world
    course = w["open_course"]
    _enrol(course, w["staff"], w["regional_staff"])
    services.assign_mandatory(w["hr"], course, directorate=w["central"],
                              due_date=timezone.localdate() + datetime.timedelta(days=3))
    Enrolment.objects.filter(user=w["staff"]).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1), progress_percent=40,
        status="in_progress")
    Enrolment.objects.filter(user=w["regional_staff"]).update(status="completed",
                                                              progress_percent=100)
    mine = client_for(w["staff"]).get("/training/mine/").content.decode()
    assert "40%" in mine and "Overdue" in mine

    assert client_for(w["staff"]).get("/training/reports/").status_code == 403
    assert client_for(w["staff"]).get("/training/reports/export/").status_code == 403
    hr = client_for(w["hr"])
    page = hr.get("/training/reports/")
    totals = page.context["totals"]
    assert (totals.enrolled, totals.in_progress, totals.completed, totals.overdue) == (4, 1, 1, 1)
    html = page.content.decode()
    assert html.count("<svg") >= 2 and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
    regional = hr.get("/training/reports/", {"kind": "regional"}).context["totals"]
    assert (regional.completed, regional.enrolled) == (1, 0)

    csv = b"".join(hr.get("/training/reports/export/", {"scope": "learner", "format": "csv"})
                   .streaming_content).decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert len(lines) == 7 and "Overdue" in lines[0]
    per_directorate = b"".join(hr.get("/training/reports/export/", {
        "scope": "directorate", "format": "csv"}).streaming_content).decode("utf-8-sig")
    assert per_directorate.strip().splitlines()[1].endswith(",4,1,0,1")
    xlsx = hr.get("/training/reports/export/", {"scope": "course", "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    assert hr.get("/training/reports/export/", {"scope": "secret"}).status_code == 404
    learners = hr.get("/training/reports/learners/", {"course": "press-law"})
    assert learners.context["page"].paginator.count == 6
