"""Writes for course content: progress, quizzes, assignments, completion,
certificates and authoring.

Progress reports are the hot path (a thousand learners watching at once):
each one is a single UPSERT of the learner's own ``LessonProgress`` row, and
the learner's own ``Enrolment`` row is touched only when a lesson becomes
complete. No report reads or writes a row another learner writes too.
"""

from __future__ import annotations

import math
import random

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from announcements.sanitize import clean_html
from collab import events
from collab.later import gettext_later, in_every_language
from collab.services import notify

from . import selectors_content as selectors
from .models import Enrolment
from .models_content import (
    AssignmentSubmission,
    Certificate,
    Choice,
    Lesson,
    LessonProgress,
    Module,
    Question,
    QuizAttempt,
)

# Share of a video that counts as watched.
WATCHED_SHARE = 0.9
# How far past the furthest point reached a report may go: the seconds since
# the last report (at up to double speed) plus this slack. Seeking to the end
# does not count as watching it.
SKIP_SLACK_SECONDS = 15.0
PLAYBACK_RATE_MAX = 2.0


class ContentRefused(Exception):
    """A learner's or trainer's action was refused; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---- Progress --------------------------------------------------------------


def _upsert_progress(user_id: int, lesson_id: int, position: float, max_position: float,
                     completed_at) -> tuple[float, object]:
    """Insert or update the learner's row in one statement; the furthest
    position only grows and a completion is never undone. Returns the
    stored (max position, completed_at)."""
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    table = LessonProgress._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} (user_id, lesson_id, position, max_position, completed_at, "
        "updated_at) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (user_id, lesson_id) DO UPDATE SET "
        "position = excluded.position, "
        f"max_position = {greatest}({table}.max_position, excluded.max_position), "
        f"completed_at = COALESCE({table}.completed_at, excluded.completed_at), "
        "updated_at = excluded.updated_at "
        "RETURNING max_position, completed_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, lesson_id, position, max_position, completed_at, now])
        stored_max, stored_completed = cursor.fetchone()
    if isinstance(stored_completed, str):  # SQLite hands back text
        stored_completed = LessonProgress._meta.get_field("completed_at").to_python(
            stored_completed
        )
    return stored_max, stored_completed


def record_video_position(user, lesson: Lesson, position) -> LessonProgress:
    """Store where the learner is in a video, reported by the player.

    A position that is not a number, negative or past the video's end is
    refused (ContentRefused) and nothing is written."""
    try:
        position = float(position)
    except (TypeError, ValueError):
        position = math.nan
    if lesson.kind != Lesson.Kind.VIDEO or not lesson.duration_seconds:
        raise ContentRefused(_("This lesson has no video."))
    if not math.isfinite(position) or position < 0 or position > lesson.duration_seconds + 1:
        raise ContentRefused(_("That position is outside the video: it was ignored."))
    position = min(position, float(lesson.duration_seconds))
    previous = (LessonProgress.objects.filter(user=user, lesson=lesson)
                .values_list("max_position", "updated_at").first())
    if previous is None:
        reachable = SKIP_SLACK_SECONDS
    else:
        elapsed = max(0.0, (timezone.now() - previous[1]).total_seconds())
        reachable = previous[0] + elapsed * PLAYBACK_RATE_MAX + SKIP_SLACK_SECONDS
    watched_to = min(position, reachable)
    now = timezone.now()
    done = now if watched_to >= WATCHED_SHARE * lesson.duration_seconds else None
    stored_max, completed_at = _upsert_progress(user.pk, lesson.pk, position, watched_to, done)
    progress = LessonProgress(user=user, lesson=lesson, position=position,
                              max_position=stored_max, completed_at=completed_at)
    if done is not None and completed_at == done:
        _lesson_completed(user, lesson)
    return progress


def mark_read(user, lesson: Lesson) -> None:
    """A text page or PDF the learner says they have read."""
    if lesson.kind not in (Lesson.Kind.TEXT, Lesson.Kind.DOCUMENT):
        raise ContentRefused(_("This lesson is completed by its own activity."))
    _complete(user, lesson)


def _complete(user, lesson: Lesson) -> None:
    now = timezone.now()
    _stored_max, completed_at = _upsert_progress(user.pk, lesson.pk, 0, 0, now)
    if completed_at == now:
        _lesson_completed(user, lesson)


def _lesson_completed(user, lesson: Lesson) -> None:
    """A lesson became complete: the learner's percentage, then the course."""
    course_id = lesson.module.course_id
    percent, all_done = selectors.completion_of(user, course_id)
    with transaction.atomic():
        # The learner's own enrolment row, locked so that two lessons
        # finishing at once (two tabs) complete the course once.
        enrolment = (Enrolment.objects.select_for_update()
                     .filter(course_id=course_id, user=user,
                             status__in=selectors.LEARNING_STATUSES).first())
        if enrolment is None:
            return
        enrolment.progress_percent = percent
        fields = ["progress_percent"]
        if enrolment.status != Enrolment.Status.COMPLETED:
            enrolment.status = Enrolment.Status.IN_PROGRESS
            fields.append("status")
        if all_done and enrolment.status != Enrolment.Status.COMPLETED:
            enrolment.status = Enrolment.Status.COMPLETED
            enrolment.completed_at = timezone.now()
            fields.append("completed_at")
        enrolment.save(update_fields=fields)
        events.publish(events.TRAINING_PROGRESS, to=user.pk, course=enrolment.course.code,
                       lesson=lesson.pk, progress=percent,
                       completed=enrolment.status == Enrolment.Status.COMPLETED)
        if enrolment.status == Enrolment.Status.COMPLETED and not _has_certificate(enrolment):
            certificate = issue_certificate(enrolment)
            course = enrolment.course
            notify(
                user, kind="training.completed",
                title=gettext_later("You completed “%(course)s”: your certificate is ready.",
                                    course=in_every_language(lambda: course.title)),
                link=reverse("training:certificate", args=[certificate.pk]),
            )


def _has_certificate(enrolment) -> bool:
    return Certificate.objects.filter(enrolment=enrolment).exists()


# ---- Quizzes ---------------------------------------------------------------


def _check_deadline(lesson: Lesson) -> None:
    if lesson.due_at is not None and timezone.now() > lesson.due_at:
        raise ContentRefused(
            _("The deadline (%(when)s) has passed: nothing can be submitted any more.")
            % {"when": timezone.localtime(lesson.due_at).strftime("%d/%m/%Y %H:%M")}
        )


def submit_quiz(user, lesson: Lesson, answers: dict[str, list[str]]) -> QuizAttempt:
    """Check ``answers`` ({"q<question id>": [choice ids]}) on the server and
    record the attempt. Ids that do not belong to this quiz, a question left
    unanswered, too many answers, a deadline passed or no attempt left:
    ContentRefused, nothing recorded."""
    if lesson.kind != Lesson.Kind.QUIZ:
        raise ContentRefused(_("This lesson is not a quiz."))
    _check_deadline(lesson)
    questions = list(lesson.questions.prefetch_related("choices"))
    if not questions:
        raise ContentRefused(_("This quiz has no questions yet."))
    tampered = ContentRefused(
        _("The answers sent do not match this quiz: reload the page and answer again. "
          "Nothing was recorded.")
    )
    known = {f"q{q.pk}" for q in questions}
    if set(answers) - known:
        raise tampered
    chosen: dict[int, set[int]] = {}
    unanswered = 0
    for question in questions:
        raw = answers.get(f"q{question.pk}", [])
        if not raw:
            unanswered += 1
            continue
        if any(not value.isdigit() for value in raw):
            raise tampered
        ids = {int(value) for value in raw}
        if not ids <= {choice.pk for choice in question.choices.all()}:
            raise tampered
        if question.kind != Question.Kind.MULTIPLE and len(ids) > 1:
            raise tampered
        chosen[question.pk] = ids
    if unanswered:
        raise ContentRefused(
            ngettext("Answer every question before submitting (%(n)d question unanswered).",
                     "Answer every question before submitting (%(n)d questions unanswered).",
                     unanswered) % {"n": unanswered}
        )
    right = sum(
        1 for question in questions
        if chosen[question.pk] == {c.pk for c in question.choices.all() if c.correct}
    )
    score = round(100 * right / len(questions))
    passed = score >= lesson.pass_mark
    with transaction.atomic():
        # The learner's own enrolment row: their submissions one at a time.
        Enrolment.objects.select_for_update().filter(course_id=lesson.module.course_id,
                                                     user=user).first()
        done = QuizAttempt.objects.filter(user=user, lesson=lesson).aggregate(n=Max("number"))
        number = (done["n"] or 0) + 1
        if lesson.max_attempts is not None and number > lesson.max_attempts:
            raise ContentRefused(
                ngettext("You have used the only attempt allowed for this quiz.",
                         "You have used all %(n)d attempts allowed for this quiz.",
                         lesson.max_attempts) % {"n": lesson.max_attempts}
            )
        try:
            with transaction.atomic():
                attempt = QuizAttempt.objects.create(
                    user=user, lesson=lesson, number=number, score=score, passed=passed,
                    answers={str(k): sorted(v) for k, v in chosen.items()},
                )
        except IntegrityError:
            raise ContentRefused(
                _("This quiz was submitted twice at once: only one was recorded.")
            ) from None
        events.publish(events.TRAINING_RESULT, to=user.pk, course=lesson.module.course.code,
                       lesson=lesson.pk, kind="quiz", passed=passed, score=score)
    if passed:
        _complete(user, lesson)
    return attempt


def shuffled(items: list, seed) -> list:
    """The same order for the same seed (a page reloaded keeps its order)."""
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


# ---- Assignments -----------------------------------------------------------

ASSIGNMENT_MAX_BYTES = 50 * 1024 * 1024


def submit_assignment(user, lesson: Lesson, upload) -> AssignmentSubmission:
    """Store the learner's file (scanned like every attachment) as their
    submission, replacing one not graded yet."""
    from files import services as files_services

    if lesson.kind != Lesson.Kind.ASSIGNMENT:
        raise ContentRefused(_("This lesson is not an assignment."))
    _check_deadline(lesson)
    if upload is None:
        raise ContentRefused(_("Choose a file to submit."))
    previous = AssignmentSubmission.objects.filter(user=user, lesson=lesson).first()
    if previous is not None and previous.grade is not None:
        raise ContentRefused(_("This assignment was graded already: it cannot be replaced."))
    try:
        with files_services.attachment_uploads(
            user, [upload], attached_to="training", max_size=ASSIGNMENT_MAX_BYTES
        ) as pending, transaction.atomic():
            version = pending[0].record()
            submission, created = AssignmentSubmission.objects.get_or_create(
                user=user, lesson=lesson, defaults={"file": version.file}
            )
            if not created:
                old_file = submission.file
                submission.file = version.file
                submission.submitted_at = timezone.now()
                submission.save(update_fields=["file", "submitted_at"])
                files_services.discard_attachments([old_file])
    except files_services.UploadRefused as exc:
        raise ContentRefused(exc.message) from None
    title = gettext_later("%(name)s submitted “%(lesson)s”.",
                          name=in_every_language(lambda: user.display_name),
                          lesson=in_every_language(lambda: lesson.title))
    for trainer in lesson.module.course.trainers.all():
        notify(trainer, kind="training.submission", title=title,
               link=reverse("training:submissions", args=[lesson.pk]))
    return submission


def grade_submission(by, submission: AssignmentSubmission, grade: int, comment: str):
    with transaction.atomic():
        submission = AssignmentSubmission.objects.select_for_update().get(pk=submission.pk)
        submission.grade = grade
        submission.comment = comment
        submission.graded_by = by
        submission.graded_at = timezone.now()
        submission.save(update_fields=["grade", "comment", "graded_by", "graded_at"])
        lesson = submission.lesson
        learner = submission.user
        events.publish(events.TRAINING_RESULT, to=learner.pk, course=lesson.module.course.code,
                       lesson=lesson.pk, kind="assignment", passed=submission.passed,
                       score=grade)
        notify(
            learner, kind="training.graded",
            title=gettext_later("“%(lesson)s” was graded: %(grade)d/100.",
                                lesson=in_every_language(lambda: lesson.title), grade=grade),
            body=comment,
            link=reverse("training:lesson", args=[lesson.pk]),
        )
    if submission.passed:
        _complete(learner, lesson)
    return submission


# ---- Certificates ----------------------------------------------------------


def issue_certificate(enrolment: Enrolment) -> Certificate:
    """Record the verifiable document of a completed enrolment (the PDF is
    drawn from its frozen statement on each download)."""
    from collab import documents

    course = enrolment.course
    learner = enrolment.user
    completed = timezone.localdate(enrolment.completed_at or timezone.now())
    statement = {
        "course_ar": course.title_ar, "course_fr": course.title_fr,
        "hours": str(course.duration_hours), "completed_on": completed.isoformat(),
        "holder_ar": learner.full_name_ar or learner.get_full_name(),
        "holder_fr": learner.get_full_name() or learner.username,
    }
    document = documents.issue(
        "training-certificate",
        holder_name=statement["holder_fr"],
        language="ar",
        statement=statement,
    )
    return Certificate.objects.create(enrolment=enrolment, document=document)


# ---- Authoring -------------------------------------------------------------


def _next_position(queryset) -> int:
    return (queryset.aggregate(n=Max("position"))["n"] or 0) + 1


def create_module(course, title: str) -> Module:
    return Module.objects.create(course=course, title=title,
                                 position=_next_position(course.modules.all()))


def update_module(module: Module, title: str, prerequisites) -> Module:
    prerequisites = [m for m in prerequisites if m.pk != module.pk]
    if any(m.course_id != module.course_id for m in prerequisites):
        raise ContentRefused(_("A prerequisite must be a module of the same course."))
    for candidate in prerequisites:
        if module.pk in selectors.prerequisite_closure(candidate):
            raise ContentRefused(
                _("“%(module)s” already depends on this module: prerequisites cannot go "
                  "round in a circle.") % {"module": candidate.title}
            )
    with transaction.atomic():
        module.title = title
        module.save(update_fields=["title"])
        module.prerequisites.set(prerequisites)
    return module


def _adopt_file(trainer, file_id, kind: str):
    """A file the trainer uploaded to My files through the streaming upload
    becomes the lesson's attachment (out of My files and the quota)."""
    from files import services as files_services

    if not file_id:
        return None
    file = files_services.adopt_as_attachment(trainer, file_id, attached_to="training")
    if file is None:
        raise ContentRefused(_("That file is not one of yours: upload it again."))
    version = file.current_version
    wanted = "video/" if kind == Lesson.Kind.VIDEO else "application/pdf"
    if version is None or not version.content_type.startswith(wanted):
        raise ContentRefused(
            _("A video lesson needs a video file.") if kind == Lesson.Kind.VIDEO
            else _("A document lesson needs a PDF file.")
        )
    return file


def save_lesson(trainer, module: Module, data: dict, lesson: Lesson | None = None) -> Lesson:
    """Create or edit a lesson from a form's cleaned data."""
    kind = data.get("kind") or (lesson.kind if lesson else "")
    with transaction.atomic():
        file = _adopt_file(trainer, data.get("file_id"), kind)
        if lesson is None:
            lesson = Lesson(module=module, kind=kind,
                            position=_next_position(module.lessons.all()))
        for name in ("title", "required", "duration_seconds", "pass_mark", "max_attempts",
                     "shuffle", "due_at"):
            if name in data:
                setattr(lesson, name, data[name])
        lesson.body = clean_html(data.get("body", lesson.body))
        if file is not None:
            lesson.file = file
        if lesson.kind in (Lesson.Kind.VIDEO, Lesson.Kind.DOCUMENT) and lesson.file is None:
            raise ContentRefused(_("Upload the lesson's file first."))
        if lesson.kind == Lesson.Kind.VIDEO and not lesson.duration_seconds:
            raise ContentRefused(_("Give the video's length in seconds."))
        lesson.save()
    return lesson


def import_scorm(trainer, module: Module, data: dict, package, lesson: Lesson | None = None
                 ) -> Lesson:
    """Create or edit a SCORM lesson. A new package (a Django UploadedFile)
    is checked before anything is stored: refused packages leave nothing."""
    from files import services as files_services

    from . import scorm

    if package is None and (lesson is None or lesson.file is None):
        raise ContentRefused(_("Choose the SCORM package (.zip)."))
    launch = None
    if package is not None:
        if package.size > scorm.PACKAGE_MAX_BYTES:
            raise ContentRefused(_("This package is too large."))
        try:
            launch = scorm.inspect(package)
        except scorm.PackageRefused as exc:
            raise ContentRefused(exc.message) from None
        package.seek(0)
    try:
        with files_services.attachment_uploads(
            trainer, [package] if package is not None else [], attached_to="training",
            max_size=scorm.PACKAGE_MAX_BYTES,
        ) as pending, transaction.atomic():
            if lesson is None:
                lesson = Lesson(module=module, kind=Lesson.Kind.SCORM,
                                position=_next_position(module.lessons.all()))
            for name in ("title", "required"):
                if name in data:
                    setattr(lesson, name, data[name])
            lesson.body = clean_html(data.get("body", lesson.body))
            if pending:
                lesson.file = pending[0].record().file
                lesson.scorm_launch = launch
            lesson.save()
    except files_services.UploadRefused as exc:
        raise ContentRefused(exc.message) from None
    return lesson


# SCORM 1.2 elements a package may write, and the statuses that complete.
SCORM_ELEMENTS = {
    "cmi.core.lesson_status": 255, "cmi.core.score.raw": 16, "cmi.core.score.min": 16,
    "cmi.core.score.max": 16, "cmi.core.lesson_location": 255, "cmi.core.exit": 32,
    "cmi.core.session_time": 32, "cmi.suspend_data": 4096,
}
SCORM_STATUSES = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}
SCORM_DONE = {"passed", "completed"}


def _scorm_value(element: str, value) -> str | None:
    """The value to keep, or None when SCORM 1.2 does not allow it."""
    if not isinstance(value, str) or len(value) > SCORM_ELEMENTS[element]:
        return None
    if element == "cmi.core.lesson_status":
        return value if value in SCORM_STATUSES else None
    if element.startswith("cmi.core.score."):
        if value == "":
            return value
        try:
            number = float(value)
        except ValueError:
            return None
        return value if math.isfinite(number) and 0 <= number <= 100 else None
    return value


def record_scorm(user, lesson: Lesson, values: dict) -> LessonProgress:
    """Store what the package reported through the runtime API; unknown
    elements and out-of-range values are ignored. "completed" or "passed"
    completes the lesson (never undone)."""
    if lesson.kind != Lesson.Kind.SCORM:
        raise ContentRefused(_("This lesson is not a SCORM package."))
    if not isinstance(values, dict):
        raise ContentRefused(_("These values cannot be read."))
    kept = {}
    for element, value in values.items():
        if element in SCORM_ELEMENTS:
            value = _scorm_value(element, value)
            if value is not None:
                kept[element] = value
    done = timezone.now() if kept.get("cmi.core.lesson_status") in SCORM_DONE else None
    with transaction.atomic():
        _max, completed_at = _upsert_progress(user.pk, lesson.pk, 0, 0, done)
        progress = LessonProgress.objects.select_for_update().get(user=user, lesson=lesson)
        progress.scorm = {**(progress.scorm or {}), **kept}
        progress.save(update_fields=["scorm"])
    if done is not None and completed_at == done:
        _lesson_completed(user, lesson)
    return progress


def move(item, direction: int) -> None:
    """Swap a module or lesson with its neighbour (direction -1 up, +1 down)."""
    siblings = list(
        item.module.lessons.all() if isinstance(item, Lesson) else item.course.modules.all()
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index + direction
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    with transaction.atomic():
        for position, sibling in enumerate(siblings, start=1):
            if sibling.position != position:
                type(sibling).objects.filter(pk=sibling.pk).update(position=position)


def add_question(lesson: Lesson, kind: str, text: str, feedback: str,
                 choices: list[tuple[str, bool]]) -> Question:
    if kind == Question.Kind.TRUE_FALSE:
        truth = any(correct for _text, correct in choices)
        with override(lesson.module.course.language or None):
            choices = [(_("True"), truth), (_("False"), not truth)]
    if len(choices) < 2:
        raise ContentRefused(_("Give at least two answers, one per line."))
    right = sum(1 for _text, correct in choices if correct)
    if right == 0:
        raise ContentRefused(_("Mark the correct answer with * at the start of its line."))
    if kind == Question.Kind.SINGLE and right > 1:
        raise ContentRefused(_("A single-choice question has exactly one correct answer."))
    with transaction.atomic():
        question = Question.objects.create(
            lesson=lesson, kind=kind, text=text, feedback=feedback,
            position=_next_position(lesson.questions.all()),
        )
        Choice.objects.bulk_create(
            Choice(question=question, text=choice_text, correct=correct, position=n)
            for n, (choice_text, correct) in enumerate(choices, start=1)
        )
    return question
