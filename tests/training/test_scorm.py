"""SCORM 1.2 lessons: a trainer imports a package (checked before anything is
stored), the learner's page frames its launch page read from the stored zip,
and the runtime API's values complete the lesson and the course."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.training.content_helpers import local_store_fixture  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="demo" version="1.0" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="org"><organization identifier="org"><title>Demo</title>
    <item identifier="i1" identifierref="r1"><title>Lesson</title></item></organization>
  </organizations>
  <resources>
    <resource identifier="css" type="webcontent" adlcp:scormtype="asset" href="style.css"/>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="sco/index.html">
      <file href="sco/index.html"/></resource>
  </resources>
</manifest>"""

INDEX = """<!doctype html><html><head><title>SCO</title></head><body><p>Bonjour</p>
<script>var api = window.parent.API; api.LMSInitialize("");
api.LMSSetValue("cmi.core.lesson_status", "completed"); api.LMSFinish("");</script>
</body></html>"""


def package(members: dict[str, str | bytes], name: str = "course.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def good_package() -> SimpleUploadedFile:
    return package({"imsmanifest.xml": MANIFEST, "sco/index.html": INDEX,
                    "style.css": "p{color:red}"})


@pytest.fixture
def world(english_world, local_store):
    from training import services_content as services
    from training.models import Enrolment

    course = english_world["open_course"]
    module = services.create_module(course, "SCORM")
    Enrolment.objects.create(course=course, user=english_world["staff"],
                             status=Enrolment.Status.ENROLLED)
    return {**english_world, "module": module}


def _add(client, world, upload):
    client.force_login(world["trainer"])
    url = reverse("training:author_lesson_add", args=[world["module"].pk]) + "?kind=scorm"
    return client.post(url, {"kind": "scorm", "title": "Module interactif", "required": "on",
                             "package": upload})


@pytest.fixture
def scorm_lesson(client, world):
    from training.models_content import Lesson

    response = _add(client, world, good_package())
    assert response.status_code == 302
    lesson = Lesson.objects.get(kind="scorm")
    client.logout()
    return lesson


def test_import_and_play(client, world, scorm_lesson):
    assert scorm_lesson.scorm_launch == "sco/index.html"
    client.force_login(world["staff"])
    page = client.get(reverse("training:lesson", args=[scorm_lesson.pk])).content.decode()
    member_url = reverse("training:scorm_member", args=[scorm_lesson.pk, "sco/index.html"])
    assert f'src="{member_url}"' in page
    assert 'sandbox="allow-scripts allow-same-origin"' in page
    assert "training/scorm.js" in page

    served = client.get(member_url)
    assert served.status_code == 200
    assert served["Content-Type"] == "text/html; charset=utf-8"
    assert "connect-src 'none'" in served["Content-Security-Policy"]
    assert served["X-Frame-Options"] == "SAMEORIGIN"
    assert b"window.parent.API" in served.content
    css = client.get(reverse("training:scorm_member", args=[scorm_lesson.pk, "style.css"]))
    assert css["Content-Type"].startswith("text/css") and css.content == b"p{color:red}"
    for missing in ("nothing.html", "sco/../../etc/passwd", "sco/%2e%2e/imsmanifest.xml"):
        url = reverse("training:scorm_member", args=[scorm_lesson.pk, "x"])[:-1] + missing
        assert client.get(url).status_code == 404, missing


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("course.zip", b"not a zip at all"), "not a zip archive"),
    (package({"sco/index.html": INDEX}), "no imsmanifest.xml"),
    (package({"imsmanifest.xml": MANIFEST, "sco/index.html": INDEX, "../evil.html": "x"}),
     "outside its own folder"),
    (package({"imsmanifest.xml": MANIFEST, "sco/index.html": INDEX, "/etc/evil": "x"}),
     "outside its own folder"),
    (package({"imsmanifest.xml": '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]>'
                                 "<manifest>&a;</manifest>", "sco/index.html": INDEX}),
     "manifest cannot be read"),
    (package({"imsmanifest.xml": MANIFEST}), "launch page is missing"),
    (package({"imsmanifest.xml": MANIFEST.replace('scormtype="sco"', 'scormtype="asset"'),
              "sco/index.html": INDEX}), "no SCORM 1.2 lesson"),
])
def test_bad_packages_are_refused_beside_the_field(client, world, upload, message):
    from files.models import File
    from training.models_content import Lesson

    response = _add(client, world, upload)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors["package"])
    assert message in response.content.decode()
    assert not Lesson.objects.filter(kind="scorm").exists()
    assert not File.objects.exists()


def _post(client, lesson, values):
    return client.post(reverse("training:scorm_runtime", args=[lesson.pk]),
                       json.dumps(values), content_type="application/json")


def test_runtime_values_complete_the_lesson_and_course(client, world, scorm_lesson):
    from training.models import Enrolment
    from training.models_content import LessonProgress

    learner = world["staff"]
    client.force_login(learner)
    answer = _post(client, scorm_lesson, {
        "cmi.core.lesson_status": "incomplete", "cmi.core.score.raw": "150",
        "cmi.core.lesson_location": "page-2", "cmi.suspend_data": "a=1",
        "cmi.core.student_id": "forged",
    })
    assert answer.json() == {"ok": True, "completed": False}
    progress = LessonProgress.objects.get(user=learner, lesson=scorm_lesson)
    assert progress.scorm == {"cmi.core.lesson_status": "incomplete",
                              "cmi.core.lesson_location": "page-2", "cmi.suspend_data": "a=1"}
    assert progress.completed_at is None

    # The saved values come back to the runtime on the next visit.
    page = client.get(reverse("training:lesson", args=[scorm_lesson.pk])).content.decode()
    assert '"cmi.suspend_data": "a=1"' in page

    answer = _post(client, scorm_lesson, {"cmi.core.lesson_status": "passed",
                                          "cmi.core.score.raw": "85"})
    assert answer.json() == {"ok": True, "completed": True}
    progress.refresh_from_db()
    assert progress.completed_at is not None
    assert progress.scorm["cmi.core.score.raw"] == "85"
    assert progress.scorm["cmi.core.lesson_location"] == "page-2"
    enrolment = Enrolment.objects.get(user=learner, course=world["open_course"])
    assert enrolment.status == Enrolment.Status.COMPLETED
    assert enrolment.progress_percent == 100

    # A later "incomplete" does not undo the completion.
    _post(client, scorm_lesson, {"cmi.core.lesson_status": "incomplete"})
    progress.refresh_from_db()
    assert progress.completed_at is not None

    assert _post(client, scorm_lesson, ["not", "a", "dict"]).status_code == 400
    bad = client.post(reverse("training:scorm_runtime", args=[scorm_lesson.pk]), "{oops",
                      content_type="application/json")
    assert bad.status_code == 400


def test_others_cannot_post_or_read(client, world, scorm_lesson):
    from training.models_content import LessonProgress

    outsider = world["other"]  # not enrolled
    client.force_login(outsider)
    missing = 987_654_321
    for pk in (scorm_lesson.pk, missing):
        assert _post(client, type(scorm_lesson)(pk=pk),
                     {"cmi.core.lesson_status": "completed"}).status_code == 404
        url = reverse("training:scorm_member", args=[pk, "sco/index.html"])
        assert client.get(url).status_code == 404
    assert not LessonProgress.objects.exists()
