"""Demo content of the seeded courses (``make run``): the video course gets
a short video, a PDF and a text page; the quiz course a quiz behind a
reading module and an assignment. Called by the training demo seeder once
the courses ``demo-video`` and ``demo-quiz`` exist."""

from __future__ import annotations

import io
from pathlib import Path

from django.db import transaction

MEDIA = Path(__file__).resolve().parent / "demo_media"


def _store(owner, name: str, data: bytes):
    from files import services as files_services

    version = files_services.upload_file(owner, io.BytesIO(data), name, declared_size=len(data))
    return version.file.pk


def _pdf() -> bytes:
    from collab import documents

    return documents.render_pdf(
        "collab/documents/letter.html",
        {"heading": "Code de la presse et de l'édition",
         "paragraphs": ["Extraits commentés de la loi 88-13 relative à la presse et à "
                        "l'édition, pour la formation des agents."]},
        language="fr",
    )


@transaction.atomic
def seed_course_content() -> int:
    """Modules and lessons of the demo courses that have none yet; the number
    of lessons created."""
    from .models import Course
    from .models_content import Lesson
    from .services_content import add_question, create_module, save_lesson, update_module

    created = 0
    video_course = Course.objects.filter(code="demo-video").first()
    if video_course is not None and not video_course.modules.exists():
        trainer = video_course.trainers.first()
        if trainer is not None:
            basics = create_module(video_course, "مدخل إلى التواصل المؤسساتي")
            save_lesson(trainer, basics, {
                "kind": Lesson.Kind.VIDEO, "title": "تقديم الدورة", "required": True,
                "duration_seconds": 8, "body": "",
                "file_id": _store(trainer, "introduction.webm",
                                  (MEDIA / "introduction.webm").read_bytes()),
            })
            save_lesson(trainer, basics, {
                "kind": Lesson.Kind.TEXT, "title": "مبادئ التواصل", "required": True,
                "body": "<h2>الوضوح والدقة</h2><p>يخاطب التواصل المؤسساتي المواطن بلغة "
                        "واضحة، ويستند إلى معطيات دقيقة.</p>",
            })
            save_lesson(trainer, basics, {
                "kind": Lesson.Kind.DOCUMENT, "title": "Code de la presse (extraits)",
                "required": False, "body": "", "file_id": _store(trainer, "code-presse.pdf",
                                                                  _pdf()),
            })
            created += 3
    quiz_course = Course.objects.filter(code="demo-quiz").first()
    if quiz_course is not None and not quiz_course.modules.exists():
        trainer = quiz_course.trainers.first()
        if trainer is not None:
            reading = create_module(quiz_course, "Lecture")
            save_lesson(trainer, reading, {
                "kind": Lesson.Kind.TEXT, "title": "Le droit d'accès à l'information",
                "required": True,
                "body": "<p>La loi 31-13 garantit le droit d'accès à l'information détenue "
                        "par les administrations publiques.</p>",
            })
            check = create_module(quiz_course, "Évaluation")
            update_module(check, "Évaluation", [reading])
            quiz = save_lesson(trainer, check, {
                "kind": Lesson.Kind.QUIZ, "title": "Quiz : accès à l'information",
                "required": True, "body": "", "pass_mark": 60, "max_attempts": 3,
                "shuffle": True, "due_at": None,
            })
            add_question(quiz, "single", "Quelle loi garantit le droit d'accès à l'information ?",
                         "La loi 31-13, publiée en 2018.",
                         [("Loi 88-13", False), ("Loi 31-13", True), ("Loi 09-08", False)])
            add_question(quiz, "multiple", "Qui doit répondre aux demandes d'information ?", "",
                         [("Les administrations publiques", True),
                          ("Les établissements publics", True),
                          ("Les entreprises privées", False)])
            add_question(quiz, "true_false", "Une demande d'information peut être refusée "
                         "sans motif.", "Un refus doit toujours être motivé.", [])
            save_lesson(trainer, check, {
                "kind": Lesson.Kind.ASSIGNMENT, "title": "Note de synthèse", "required": False,
                "body": "<p>Rédigez une note d'une page sur une demande reçue par votre "
                        "direction.</p>", "pass_mark": 60, "due_at": None,
            })
            created += 3
    return created
