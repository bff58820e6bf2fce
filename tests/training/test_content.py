"""Course content: lessons in order behind prerequisites, video streamed with
Range and its progress, quizzes checked on the server, assignments graded,
completion with a verifiable certificate, authoring by trainers."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.training.content_helpers import (  # noqa: F401 - a fixture
    build_course_content,
    local_store_fixture,
    minimal_pdf,
    right_answers,
    stored_file,
    tiny_video,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(training_world, local_store):
    from collab.models import User
    from training.models import Enrolment

    # The assertions read the English wording.
    User.objects.update(preferred_language="en")
    for person in ("staff", "other", "trainer", "manager"):
        training_world[person].refresh_from_db()
    course = training_world["open_course"]
    content = build_course_content(course, training_world["trainer"])
    learner = training_world["staff"]
    enrolment = Enrolment.objects.create(course=course, user=learner,
                                         status=Enrolment.Status.ENROLLED)
    return {**training_world, **content, "course": course, "learner": learner,
            "enrolment": enrolment}


def _progress(client, lesson, position):
    return client.post(reverse("training:lesson_progress", args=[lesson.pk]),
                       {"position": position})


# ---- Access and prerequisites ----------------------------------------------


def test_outline_and_lessons_reach_enrolled_learners_and_trainers_only(world, client_for):
    learner = client_for(world["learner"])
    page = learner.get(reverse("training:outline", args=[world["course"].code]))
    assert page.status_code == 200
    assert "Introduction" in page.text and "Quiz final" in page.text
    # The second module waits for the first: its lessons are not links yet.
    assert reverse("training:lesson", args=[world["quiz"].pk]) not in page.text
    for stranger in (world["other"], world["regional_staff"]):
        client = client_for(stranger)
        assert client.get(reverse("training:outline", args=[world["course"].code])
                          ).status_code == 404
        assert client.get(reverse("training:lesson", args=[world["video"].pk])
                          ).status_code == 404
        assert client.get(reverse("training:lesson_media", args=[world["video"].pk])
                          ).status_code == 404
    trainer = client_for(world["trainer"])
    preview = trainer.get(reverse("training:lesson", args=[world["quiz"].pk]))
    assert preview.status_code == 200 and "Capitale du Maroc" in preview.text


def test_a_locked_module_refuses_its_lessons_until_the_prerequisite_is_done(world, client_for):
    from training.models_content import QuizAttempt

    learner = client_for(world["learner"])
    page = learner.get(reverse("training:lesson", args=[world["quiz"].pk]))
    assert "Capitale du Maroc" not in page.text and "Les bases" in page.text
    learner.post(reverse("training:quiz_submit", args=[world["quiz"].pk]),
                 right_answers(world["questions"]))
    assert not QuizAttempt.objects.exists()


def test_text_pages_are_sanitised_on_save(world):
    assert "<script" not in world["text"].body
    assert "<b>code</b>" in world["text"].body


# ---- Video ----------------------------------------------------------------


def test_video_is_streamed_with_range(world, client_for):
    learner = client_for(world["learner"])
    url = reverse("training:lesson_media", args=[world["video"].pk])
    whole = learner.get(url)
    data = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and data[:4] == b"\x1aE\xdf\xa3"
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/webm"
    part = learner.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(part.streaming_content) == data[100:200]
    past = learner.get(url, HTTP_RANGE=f"bytes={len(data) + 10}-")
    assert past.status_code == 416
    # If-Range: a piece only of the same bytes (the ETag), else the whole file again.
    same = learner.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=whole["ETag"])
    assert same.status_code == 206 and b"".join(same.streaming_content) == data[10:20]
    other = learner.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"0123"')
    assert other.status_code == 200 and b"".join(other.streaming_content) == data


def test_video_progress_resumes_counts_at_90_percent_and_ignores_bad_values(world, client_for):
    from training.models_content import LessonProgress

    learner = client_for(world["learner"])
    video = world["video"]  # 3 seconds
    for bad in ("-1", "nan", "inf", "9999", "abc", ""):
        answer = _progress(learner, video, bad)
        assert answer.status_code == 400 and answer.json()["error"]
    assert not LessonProgress.objects.exists()

    assert _progress(learner, video, "1.5").json() == {"ok": True, "completed": False,
                                                      "progress": 0}
    page = learner.get(reverse("training:lesson", args=[video.pk]))
    assert 'data-resume="1.5"' in page.text
    done = _progress(learner, video, "2.8").json()  # 93 %
    assert done["completed"] is True and done["progress"] == 33  # 1 of 3 required lessons
    # Going back keeps the furthest point and the completion.
    _progress(learner, video, "0.5")
    row = LessonProgress.objects.get(lesson=video)
    assert row.position == 0.5 and row.max_position == pytest.approx(2.8)
    assert row.completed_at is not None
    world["enrolment"].refresh_from_db()
    assert world["enrolment"].status == "in_progress"
    assert world["enrolment"].progress_percent == 33


def test_seeking_to_the_end_is_not_watching(world, client_for):
    from training import services_content as services
    from training.models_content import LessonProgress

    long_video = services.save_lesson(world["trainer"], world["first"], {
        "kind": "video", "title": "Long", "duration_seconds": 600, "required": True,
        "file_id": str(world["video"].file_id), "body": "",
    })
    learner = client_for(world["learner"])
    assert _progress(learner, long_video, "590").json()["completed"] is False
    row = LessonProgress.objects.get(lesson=long_video)
    assert row.position == 590 and row.max_position <= services.SKIP_SLACK_SECONDS


def test_a_trainer_preview_records_nothing(world, client_for):
    from training.models_content import LessonProgress

    trainer = client_for(world["trainer"])
    assert _progress(trainer, world["video"], "2.9").json()["preview"] is True
    assert not LessonProgress.objects.exists()


# ---- Quizzes ---------------------------------------------------------------


def _finish_first_module(client, world):
    _progress(client, world["video"], "3")
    client.post(reverse("training:lesson_done", args=[world["text"].pk]))


def test_quiz_page_never_holds_the_answers(world, client_for):
    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    html = learner.get(reverse("training:lesson", args=[world["quiz"].pk])).text
    assert "Capitale du Maroc" in html
    assert "correct" not in html.lower()
    assert "Rabat, depuis 1912" not in html  # feedback only after an answer
    # Every choice is the same markup but for its id and text.
    shapes = {re.sub(r'value="\d+"', "", m) for m in re.findall(r"<input [^>]*>", html)
              if 'name="q' in m}
    assert shapes == {f'<input type="radio" name="q{q.pk}" >'
                      for q in world["questions"] if q.kind != "multiple"} | {
        f'<input type="checkbox" name="q{world["questions"][1].pk}" >'}


def test_quiz_is_scored_on_the_server_with_feedback(world, client_for):
    from training.models_content import QuizAttempt

    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    q1, q2, q3 = world["questions"]
    answers = right_answers(world["questions"])
    wrong = {**answers, f"q{q1.pk}": [str(q1.choices.get(text="Fès").pk)],
             f"q{q2.pk}": [str(q2.choices.get(text="Arabe").pk)]}
    page = learner.post(reverse("training:quiz_submit", args=[world["quiz"].pk]), wrong)
    assert "Not passed" in page.text and "33 %" in page.text
    assert "Rabat, depuis 1912" in page.text  # feedback after the answer
    page = learner.post(reverse("training:quiz_submit", args=[world["quiz"].pk]), answers)
    assert "100 %" in page.text
    attempts = QuizAttempt.objects.order_by("number")
    assert [(a.number, a.score, a.passed) for a in attempts] == [(1, 33, False), (2, 100, True)]


@pytest.mark.parametrize("tamper", ["foreign choice", "unknown question", "two for single",
                                    "not a number", "unanswered"])
def test_tampered_or_incomplete_answers_change_nothing(world, client_for, tamper):
    from training.models_content import Choice, QuizAttempt

    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    q1, q2, q3 = world["questions"]
    answers = right_answers(world["questions"])
    if tamper == "foreign choice":
        answers[f"q{q1.pk}"] = [str(Choice.objects.filter(question=q2).first().pk)]
    elif tamper == "unknown question":
        answers["q999999"] = ["1"]
    elif tamper == "two for single":
        answers[f"q{q1.pk}"] = [str(c.pk) for c in q1.choices.all()[:2]]
    elif tamper == "not a number":
        answers[f"q{q1.pk}"] = ["1 OR 1=1"]
    else:
        del answers[f"q{q3.pk}"]
    page = learner.post(reverse("training:quiz_submit", args=[world["quiz"].pk]), answers)
    assert page.status_code == 200
    expected = "1 question unanswered" if tamper == "unanswered" else "do not match this quiz"
    assert expected in page.text
    assert not QuizAttempt.objects.exists()


def test_no_attempt_after_the_last_one_or_after_the_deadline(world, client_for):
    from training.models_content import QuizAttempt

    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    quiz = world["quiz"]
    quiz.max_attempts = 1
    quiz.save()
    url = reverse("training:quiz_submit", args=[quiz.pk])
    q1 = world["questions"][0]
    wrong = {**right_answers(world["questions"]),
             f"q{q1.pk}": [str(q1.choices.get(text="Fès").pk)]}
    wrong[f"q{world['questions'][1].pk}"] = [str(world["questions"][1].choices.get(
        text="Latin").pk)]
    learner.post(url, wrong)
    page = learner.post(url, right_answers(world["questions"]))
    assert "the only attempt allowed" in page.text
    quiz.max_attempts = None
    quiz.due_at = timezone.now() - datetime.timedelta(minutes=1)
    quiz.save()
    page = learner.post(url, right_answers(world["questions"]))
    assert "deadline" in page.text
    assert QuizAttempt.objects.count() == 1


# ---- Assignments -----------------------------------------------------------


def test_assignment_is_uploaded_graded_and_reaches_its_learner(world, client_for):
    from collab.models import Notification
    from training.models_content import AssignmentSubmission, LessonProgress

    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    lesson = world["assignment"]
    learner.post(reverse("training:assignment_submit", args=[lesson.pk]),
                 {"file": upload("note.pdf", minimal_pdf())})
    submission = AssignmentSubmission.objects.get()
    assert submission.file.attached_to == "training"
    assert Notification.objects.filter(recipient=world["trainer"],
                                       kind="training.submission").exists()
    trainer = client_for(world["trainer"])
    listing = trainer.get(reverse("training:submissions", args=[lesson.pk]))
    assert "note.pdf" in listing.text
    got = trainer.get(reverse("training:submission_file", args=[submission.pk]))
    assert b"".join(got.streaming_content)[:5] == b"%PDF-"
    # Someone else's work: the same 404 as none.
    assert client_for(world["other"]).get(
        reverse("training:submission_file", args=[submission.pk])).status_code == 404
    bad = trainer.post(reverse("training:grade", args=[submission.pk]), {"grade": "140"})
    assert bad.status_code == 200 and "100" in bad.text
    submission.refresh_from_db()
    assert submission.grade is None
    trainer.post(reverse("training:grade", args=[submission.pk]),
                 {"grade": "75", "comment": "Bonne synthèse."})
    submission.refresh_from_db()
    assert submission.grade == 75 and submission.graded_by == world["trainer"]
    assert LessonProgress.objects.get(user=world["learner"], lesson=lesson).completed_at
    page = learner.get(reverse("training:lesson", args=[lesson.pk]))
    assert "75/100" in page.text and "Bonne synthèse." in page.text
    # Graded: it cannot be replaced any more.
    again = learner.post(reverse("training:assignment_submit", args=[lesson.pk]),
                         {"file": upload("autre.pdf", minimal_pdf())})
    assert "graded already" in again.text


# ---- Completion and certificate -------------------------------------------


def test_completion_issues_a_verifiable_certificate_in_the_training_record(world, client_for):
    from pypdf import PdfReader

    from tests.pdfs import qr_targets

    learner = client_for(world["learner"])
    _finish_first_module(learner, world)
    learner.post(reverse("training:quiz_submit", args=[world["quiz"].pk]),
                 right_answers(world["questions"]))
    enrolment = world["enrolment"]
    enrolment.refresh_from_db()
    # The optional assignment does not hold completion back.
    assert enrolment.status == "completed" and enrolment.progress_percent == 100
    certificate = enrolment.certificate
    record = learner.get(reverse("training:record"))
    assert "Droit de la presse" in record.text and certificate.document.code in record.text

    import io

    for language, wording in (("fr", "Droit de la presse"), ("ar", "قانون الصحافة")):
        answer = learner.get(reverse("training:certificate", args=[certificate.pk]),
                             {"lang": language})
        assert answer["Content-Type"] == "application/pdf"
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
        assert wording in text and certificate.document.code in text
        (target,) = qr_targets(answer.content)
        assert target.endswith(f"/verify/{certificate.document.code}/")
    assert client_for(world["other"]).get(
        reverse("training:certificate", args=[certificate.pk])).status_code == 404
    verify = client_for(world["other"]).get(f"/verify/{certificate.document.code}/")
    assert 'data-testid="valid"' in verify.text


# ---- Authoring -------------------------------------------------------------


def test_trainers_author_modules_lessons_and_questions(training_world, client_for, local_store):
    from collab.models import User
    from files.models import File
    from training.models_content import Lesson, Module

    User.objects.update(preferred_language="en")

    course = training_world["open_course"]
    trainer = client_for(training_world["trainer"])
    author = reverse("training:author", args=[course.code])
    assert trainer.get(author).status_code == 200
    trainer.post(author, {"title": "Module A"})
    trainer.post(author, {"title": "Module B"})
    a, b = Module.objects.order_by("position")
    trainer.post(reverse("training:author_move", args=["module", b.pk]), {"direction": "up"})
    assert list(Module.objects.order_by("position").values_list("title", flat=True)) == [
        "Module B", "Module A"]
    # A module cannot depend on one that depends on it.
    trainer.post(reverse("training:author_module", args=[a.pk]),
                 {"title": "Module A", "prerequisites": [b.pk]})
    page = trainer.post(reverse("training:author_module", args=[b.pk]),
                        {"title": "Module B", "prerequisites": [a.pk]})
    assert "circle" in page.text and not b.prerequisites.exists()

    video = stored_file(training_world["trainer"], "cours.webm", tiny_video(2))
    add = reverse("training:author_lesson_add", args=[a.pk]) + "?kind=video"
    trainer.post(add, {"title": "Vidéo", "required": "on", "duration_seconds": "2",
                       "file_id": str(video.pk)})
    lesson = Lesson.objects.get(title="Vidéo")
    # Out of My files and the quota: the course holds it now.
    assert File.objects.get(pk=video.pk).attached_to == "training"
    # Someone else's file id is refused beside the form.
    other = stored_file(training_world["staff"], "x.webm", tiny_video(1))
    page = trainer.post(add, {"title": "Vol", "duration_seconds": "1", "file_id": str(other.pk)})
    assert "not one of yours" in page.text and not Lesson.objects.filter(title="Vol").exists()
    trainer.post(reverse("training:author_lesson_add", args=[a.pk]) + "?kind=text",
                 {"title": "Texte", "body": "<p onclick='x()'>Lire</p>"})
    text = Lesson.objects.get(title="Texte")
    assert text.body == "<p>Lire</p>"
    trainer.post(reverse("training:author_move", args=["lesson", text.pk]), {"direction": "up"})
    assert list(a.lessons.order_by("position").values_list("title", flat=True)) == [
        "Texte", "Vidéo"]
    trainer.post(reverse("training:author_lesson_add", args=[a.pk]) + "?kind=quiz",
                 {"title": "Quiz", "pass_mark": "50", "shuffle": "on"})
    quiz = Lesson.objects.get(title="Quiz")
    refused = trainer.post(reverse("training:author_question_add", args=[quiz.pk]),
                           {"kind": "single", "text": "?", "choices": "*Un\n*Deux"})
    assert "exactly one correct answer" in refused.text
    trainer.post(reverse("training:author_question_add", args=[quiz.pk]),
                 {"kind": "single", "text": "Deux plus deux ?", "choices": "Trois\n*Quatre"})
    assert [(c.text, c.correct) for c in quiz.questions.get().choices.all()] == [
        ("Trois", False), ("Quatre", True)]
    # Learners and other staff cannot author.
    for someone in (training_world["staff"], training_world["manager"]):
        client = client_for(someone)
        assert client.get(author).status_code == 404
        assert client.post(author, {"title": "X"}).status_code == 404
        assert client.get(reverse("training:author_lesson", args=[lesson.pk])).status_code == 404
    assert lesson.file_id == video.pk
