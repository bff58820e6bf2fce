"""A SCORM 1.2 package in the browser: its own script finds window.parent.API
from the sandboxed iframe, marks the lesson completed and finishes; the
commit reaches the server and the lesson (the course's only one) is done."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.training.test_scorm import good_package

from .helpers import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scorm_world(directorate_factory, user_factory, live_env, monkeypatch):
    from files import storage
    from training import services_content as services
    from training.models import Course, Domain, Enrolment

    # Bytes stored here must be where the server reads them: its own store.
    store = storage.LocalFileStore(Path(live_env["COLLAB_VAR_DIR"]) / "files")
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    directorate = directorate_factory(code="dform", name_fr="Direction de la formation")
    learner = user_factory(username="e2e.scorm.learner", directorate=directorate,
                           preferred_language="fr")
    trainer = user_factory(username="e2e.scorm.trainer", directorate=directorate,
                           role="trainer")
    domain = Domain.objects.create(code="scorm", name_ar="رقمي", name_fr="Numérique")
    course = Course.objects.create(code="e2e-scorm", title_ar="وحدة", title_fr="Module",
                                   domain=domain, published=True)
    course.trainers.add(trainer)
    module = services.create_module(course, "Module interactif")
    lesson = services.import_scorm(trainer, module, {"title": "Paquet", "required": True},
                                   good_package())
    Enrolment.objects.create(course=course, user=learner, status=Enrolment.Status.ENROLLED)
    return {"lesson": lesson, "course": course, "learner": learner}


def test_the_package_completes_the_lesson_through_the_runtime_api(live_url, page, scorm_world):
    from training.models import Enrolment

    lesson = scorm_world["lesson"]
    login(page, live_url, "e2e.scorm.learner")
    with page.expect_response(lambda r: r.url.endswith(f"/lessons/{lesson.pk}/scorm/runtime/")
                              ) as committed:
        page.goto(f"{live_url}/training/lessons/{lesson.pk}/")
    assert committed.value.json() == {"ok": True, "completed": True}
    expect(page.frame_locator("#scorm-frame").locator("p")).to_have_text("Bonjour")
    page.reload()
    expect(page.get_by_role("status")).to_have_text("Vous avez terminé cette leçon.")
    enrolment = Enrolment.objects.get(user=scorm_world["learner"], course=scorm_world["course"])
    assert enrolment.status == Enrolment.Status.COMPLETED
