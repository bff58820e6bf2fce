"""Course content for the training tests: a tiny generated video, a course
with a video, a text page, a quiz and an assignment."""

from __future__ import annotations

import io
from functools import lru_cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(name="local_store")
def local_store_fixture(tmp_path, monkeypatch):
    """The application's file store: a local one of this test's own."""
    from files import storage

    store = storage.LocalFileStore(tmp_path / "store")
    monkeypatch.setattr(storage, "get_file_store", lambda: store)
    return store


@lru_cache(maxsize=4)
def tiny_video(seconds: int = 3, fps: int = 10) -> bytes:
    """A real WebM (VP8) of ``seconds`` seconds, about 1.5 KB: browsers play it."""
    import av
    from PIL import Image

    buffer = io.BytesIO()
    container = av.open(buffer, mode="w", format="webm")
    stream = container.add_stream("libvpx", rate=fps)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    for n in range(seconds * fps):
        frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (n * 8 % 256, 90, 200)))
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return buffer.getvalue()


def stored_file(owner, name: str, data: bytes):
    """A file in the owner's My files, through the service behind /upload/."""
    from files import services

    version = services.upload_file(owner, io.BytesIO(data), name, declared_size=len(data))
    return version.file


@lru_cache(maxsize=1)
def minimal_pdf() -> bytes:
    from collab import documents

    return documents.render_pdf("collab/documents/letter.html",
                                {"heading": "Lecture", "paragraphs": ["Bonjour"]},
                                language="fr")


def build_course_content(course, trainer, *, video_seconds: int = 3):
    """Module 1: video + text page; module 2 (after module 1): a quiz (two
    questions, pass mark 50) and an optional assignment."""
    from training import services_content as services
    from training.models_content import Lesson

    first = services.create_module(course, "Les bases")
    second = services.create_module(course, "Évaluation")
    services.update_module(second, "Évaluation", [first])
    video_file = stored_file(trainer, "intro.webm", tiny_video(video_seconds))
    video = services.save_lesson(trainer, first, {
        "kind": Lesson.Kind.VIDEO, "title": "Introduction", "required": True,
        "duration_seconds": video_seconds, "file_id": str(video_file.pk), "body": "",
    })
    text = services.save_lesson(trainer, first, {
        "kind": Lesson.Kind.TEXT, "title": "Lecture", "required": True,
        "body": "<p>Le <b>code</b> de la presse<script>alert(1)</script></p>",
    })
    quiz = services.save_lesson(trainer, second, {
        "kind": Lesson.Kind.QUIZ, "title": "Quiz final", "required": True, "body": "",
        "pass_mark": 50, "max_attempts": 3, "shuffle": True, "due_at": None,
    })
    q1 = services.add_question(quiz, "single", "Capitale du Maroc ?", "Rabat, depuis 1912.",
                               [("Casablanca", False), ("Rabat", True), ("Fès", False)])
    q2 = services.add_question(quiz, "multiple", "Langues officielles ?", "",
                               [("Arabe", True), ("Amazighe", True), ("Latin", False)])
    q3 = services.add_question(quiz, "true_false", "La presse est libre.", "", [("", True)])
    assignment = services.save_lesson(trainer, second, {
        "kind": Lesson.Kind.ASSIGNMENT, "title": "Note de synthèse", "required": False,
        "body": "<p>Rédigez une note.</p>", "pass_mark": 60, "due_at": None,
    })
    return {"first": first, "second": second, "video": video, "text": text, "quiz": quiz,
            "questions": (q1, q2, q3), "assignment": assignment}


def right_answers(questions) -> dict[str, list[str]]:
    return {f"q{q.pk}": [str(c.pk) for c in q.choices.all() if c.correct] for q in questions}


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def leak_world(world):
    """Content of the open course the viewer (not enrolled) must not reach:
    a module with a quiz, an assignment submitted by an enrolled colleague,
    and that colleague's certificate. Rows only: no bytes are stored."""
    from collab import documents
    from files.models import File
    from training.models import Enrolment
    from training.models_content import (
        AssignmentSubmission,
        Certificate,
        Lesson,
        Module,
        Question,
    )

    course = world["open_course"]
    colleague = world["other"]
    enrolment = Enrolment.objects.create(course=course, user=colleague, status="completed")
    module = Module.objects.create(course=course, title="M", position=1)
    quiz = Lesson.objects.create(module=module, kind="quiz", title="Q", position=1)
    assignment = Lesson.objects.create(module=module, kind="assignment", title="A", position=2)
    question = Question.objects.create(lesson=quiz, kind="single", text="?")
    work = File.objects.create(owner=colleague, name="work.pdf", attached_to="training")
    submission = AssignmentSubmission.objects.create(user=colleague, lesson=assignment, file=work)
    document = documents.issue("training-certificate", holder_name="X", language="ar",
                               statement={})
    certificate = Certificate.objects.create(enrolment=enrolment, document=document)
    return {"module": module, "quiz": quiz, "assignment": assignment, "question": question,
            "submission": submission, "certificate": certificate}


_MISSING_INT = 987_654_321


def _pk(key, **fixed):
    return lambda w: ({"pk": w[key].pk, **fixed}, {"pk": _MISSING_INT, **fixed})


def _code(w):
    return {"code": w["open_course"].code}, {"code": "no-course-by-this-code"}


# Content URLs for tests/training/test_no_leaks.py, on ``leak_world``.
CONTENT_CASES = {
    "training:outline": _code,
    "training:author": _code,
    "training:lesson": _pk("quiz"),
    "training:lesson_media": _pk("quiz"),
    "training:lesson_progress": _pk("quiz"),
    "training:lesson_done": _pk("quiz"),
    "training:scorm_runtime": _pk("quiz"),
    "training:scorm_member": _pk("quiz", member="index.html"),
    "training:quiz_submit": _pk("quiz"),
    "training:assignment_submit": _pk("assignment"),
    "training:submissions": _pk("assignment"),
    "training:submission_file": _pk("submission"),
    "training:grade": _pk("submission"),
    "training:certificate": _pk("certificate"),
    "training:author_module": _pk("module"),
    "training:author_lesson_add": _pk("module"),
    "training:author_lesson": _pk("quiz"),
    "training:author_lesson_delete": _pk("quiz"),
    "training:author_question_add": _pk("quiz"),
    "training:author_question_delete": _pk("question"),
    "training:author_move": _pk("quiz", what="lesson"),
}
