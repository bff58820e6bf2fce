"""What a course teaches and what each learner did with it.

A course is ordered modules of ordered lessons. Progress is one row per
learner and lesson (``LessonProgress``), written by an UPSERT, so learners
reporting at once never wait on a row they share. Quiz questions and their
choices stay on the server: a page shows the choices' ids and texts, never
which are correct.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "AssignmentSubmission", "Certificate", "Choice", "Lesson", "LessonProgress", "Module",
    "Question", "QuizAttempt",
]


class Module(models.Model):
    course = models.ForeignKey(
        "training.Course", verbose_name=_("course"), on_delete=models.CASCADE,
        related_name="modules",
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    # Modules of the same course a learner must finish before this one opens.
    prerequisites = models.ManyToManyField(
        "self", verbose_name=_("prerequisites"), symmetrical=False, blank=True,
        related_name="unlocks",
    )

    class Meta:
        ordering = ["course", "position", "id"]
        verbose_name = _("module")
        verbose_name_plural = _("modules")

    def __str__(self):
        return self.title


class Lesson(models.Model):
    class Kind(models.TextChoices):
        VIDEO = "video", _("Video")
        DOCUMENT = "document", _("Document (PDF)")
        TEXT = "text", _("Text page")
        QUIZ = "quiz", _("Quiz")
        ASSIGNMENT = "assignment", pgettext_lazy("lesson kind", "Assignment")
        SCORM = "scorm", _("SCORM package")

    module = models.ForeignKey(
        Module, verbose_name=_("module"), on_delete=models.CASCADE, related_name="lessons"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    # Lessons that are not required (extra reading) do not hold back completion.
    required = models.BooleanField(_("required"), default=True)
    # Video or PDF: an attachment file of the files app (stored once,
    # scanned, streamed with Range by files.views.serve_version).
    file = models.ForeignKey(
        "files.File", verbose_name=_("file"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Text page (and instructions of a quiz or assignment): HTML sanitised on save.
    body = models.TextField(_("text"), blank=True)
    # Video length: positions past it are refused, 90 % of it counts as watched.
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    # Quiz: percentage needed to pass; assignment: grade needed to pass.
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=50, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts allowed"), null=True, blank=True,
        help_text=_("Empty for no limit."),
    )
    shuffle = models.BooleanField(_("shuffle questions and choices"), default=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    # SCORM package (kept whole in ``file``): the member the player opens,
    # read from the manifest's first SCO at import.
    scorm_launch = models.CharField(_("SCORM launch page"), max_length=500, blank=True)

    class Meta:
        ordering = ["module", "position", "id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self):
        return self.title

    @property
    def course_id(self) -> int:
        return self.module.course_id


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TRUE_FALSE = "true_false", _("True or false")

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("question"))
    # Shown once the attempt is submitted, never before.
    feedback = models.TextField(_("feedback"), blank=True)

    class Meta:
        ordering = ["lesson", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text[:60]


class Choice(models.Model):
    question = models.ForeignKey(
        Question, verbose_name=_("question"), on_delete=models.CASCADE, related_name="choices"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    text = models.CharField(_("answer"), max_length=500)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.text[:60]


class LessonProgress(models.Model):
    """One learner's progress in one lesson: the only row their reports touch."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE,
        related_name="+",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="progress"
    )
    position = models.FloatField(_("last position (s)"), default=0)
    max_position = models.FloatField(_("furthest position watched (s)"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # SCORM 1.2 runtime values the package reported (lesson_status, score...).
    scorm = models.JSONField(_("SCORM data"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="lesson_progress_once"),
        ]
        verbose_name = _("lesson progress")
        verbose_name_plural = _("lesson progress")

    def __str__(self):
        return f"{self.user_id}/{self.lesson_id}"


class QuizAttempt(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE,
        related_name="+",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("quiz"), on_delete=models.CASCADE, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    score = models.PositiveSmallIntegerField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    # {question id: [chosen choice ids]}
    answers = models.JSONField(_("answers"), default=dict)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # Two submissions at once cannot both take the same attempt number.
            models.UniqueConstraint(fields=["user", "lesson", "number"], name="quiz_attempt_once"),
        ]
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")

    def __str__(self):
        return f"{self.user_id}/{self.lesson_id} #{self.number}"


class AssignmentSubmission(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE,
        related_name="+",
    )
    lesson = models.ForeignKey(
        Lesson, verbose_name=_("assignment"), on_delete=models.CASCADE,
        related_name="submissions",
    )
    file = models.ForeignKey(
        "files.File", verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    grade = models.PositiveSmallIntegerField(
        _("grade (%)"), null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.TextField(_("comment"), blank=True)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("graded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="assignment_submission_once"),
        ]
        verbose_name = _("assignment submission")
        verbose_name_plural = _("assignment submissions")

    def __str__(self):
        return f"{self.user_id}/{self.lesson_id}"

    @property
    def passed(self) -> bool:
        return self.grade is not None and self.grade >= self.lesson.pass_mark


class Certificate(models.Model):
    """The completion certificate of one enrolment, verified on /verify/<code>/."""

    enrolment = models.OneToOneField(
        "training.Enrolment", verbose_name=_("enrolment"), on_delete=models.CASCADE,
        related_name="certificate",
    )
    document = models.OneToOneField(
        "staff_requests.IssuedDocument", verbose_name=_("issued document"),
        on_delete=models.PROTECT, related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self):
        return self.document.code
