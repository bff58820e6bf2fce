"""Distance training in two browsers: a staff member asks to enrol in a course
that needs approval, the manager approves from the notification dropdown, the
learner watches the (tiny, generated) video to the end, passes the quiz,
downloads the certificate, and its QR code leads to the verification page,
which says it is valid."""

from __future__ import annotations

import importlib
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.training.content_helpers import stored_file, tiny_video

from .helpers import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course_world(directorate_factory, user_factory, live_env, monkeypatch):
    from django.apps import apps

    from files import storage
    from training import services_content as services
    from training.models import Course, Domain

    # Bytes stored here must be where the server reads them: its own store.
    store = storage.LocalFileStore(Path(live_env["COLLAB_VAR_DIR"]) / "files")
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    # The enrolment procedure type (a data migration; flushed by earlier browser tests).
    importlib.import_module("training.migrations.0002_enrolment_procedure").forwards(apps, None)

    directorate = directorate_factory(code="dcom", name_fr="Direction de la communication")
    manager = user_factory(username="e2e.tr.manager", directorate=directorate, role="manager",
                           preferred_language="fr")
    user_factory(username="e2e.tr.learner", directorate=directorate, manager=manager,
                 first_name="Salma", last_name="Idrissi", full_name_ar="سلمى الإدريسي",
                 preferred_language="fr")
    trainer = user_factory(username="e2e.tr.trainer", directorate=directorate, role="trainer")
    domain = Domain.objects.create(code="com", name_ar="التواصل", name_fr="Communication")
    course = Course.objects.create(
        code="e2e-media", title_ar="التواصل مع وسائل الإعلام",
        title_fr="Communiquer avec les médias", domain=domain, duration_hours=4,
        enrolment_mode=Course.EnrolmentMode.MANAGER_APPROVAL, published=True,
    )
    course.trainers.add(trainer)
    module = services.create_module(course, "Module unique")
    video = services.save_lesson(trainer, module, {
        "kind": "video", "title": "La conférence de presse", "required": True,
        "duration_seconds": 3, "body": "",
        "file_id": str(stored_file(trainer, "conference.webm", tiny_video(3)).pk),
    })
    quiz = services.save_lesson(trainer, module, {
        "kind": "quiz", "title": "Vérification", "required": True, "body": "",
        "pass_mark": 100, "max_attempts": 2, "shuffle": True, "due_at": None,
    })
    question = services.add_question(quiz, "single", "Qui annonce une conférence de presse ?",
                                     "", [("Le service de communication", True),
                                          ("Le service du courrier", False)])
    return {"course": course, "video": video, "quiz": quiz, "question": question}


def test_enrol_approve_watch_pass_and_verify_the_certificate(live_url, new_context,
                                                             course_world):
    from tests.pdfs import qr_targets

    base = live_url
    course = course_world["course"]
    learner = new_context(accept_downloads=True).new_page()
    login(learner, base, "e2e.tr.learner")

    # The learner asks to enrol: the course needs the manager's approval.
    learner.goto(f"{base}/training/courses/{course.code}/")
    learner.locator(f"form[action$='/courses/{course.code}/enrol/'] button").click()
    expect(learner.locator("form[action$='/withdraw/']")).to_have_count(1)

    # The manager approves from the notification dropdown.
    manager = new_context().new_page()
    login(manager, base, "e2e.tr.manager")
    expect(manager.locator("#bell-count")).to_have_text("1", timeout=15000)
    manager.click("#bell-button")
    approve = manager.locator("#notif-panel form[hx-post*='decision=approve']")
    expect(approve).to_have_count(1)
    approve.locator("button").click()
    expect(manager.get_by_test_id("decision-outcome")).to_be_visible(timeout=15000)

    # The learner watches the video to its end: the player reports it.
    learner.goto(f"{base}/training/courses/{course.code}/")
    learner.get_by_role("link", name="Ouvrir la formation").click()
    learner.get_by_role("link", name="La conférence de presse").click()
    learner.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
    expect(learner.locator("#learn-video")).to_have_attribute("data-completed", "true",
                                                              timeout=15000)

    # The quiz: its answers are checked on the server.
    learner.goto(f"{base}/training/lessons/{course_world['quiz'].pk}/")
    learner.get_by_label("Le service de communication").check()
    learner.locator("form.quiz button[type=submit]").click()
    expect(learner.locator("#quiz-result")).to_contain_text("100 %")

    # The certificate, from the training record; its QR code leads to the verification page.
    learner.goto(f"{base}/training/record/")
    expect(learner.locator("main")).to_contain_text("Communiquer avec les médias")
    with learner.expect_download() as download:
        learner.locator("a[lang=fr]").click()
    pdf = Path(download.value.path()).read_bytes()
    (target,) = qr_targets(pdf)
    learner.goto(base + urlparse(target).path)
    expect(learner.get_by_test_id("valid")).to_be_visible()
    expect(learner.get_by_test_id("holder")).to_contain_text("Salma Idrissi")
    screenshot(learner, "training/certificate-verified")
