"""Distance training: the catalogue (domains, courses), who follows what
(enrolments, mandatory assignments) and scheduled live sessions.

Course content (modules, lessons, quizzes...) lives beside these models; an
enrolment's ``progress_percent`` is written by the lesson-tracking code and only
read here."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def _in_language(obj, field: str) -> str:
    """The Arabic, French or English value of ``field`` for the active language,
    falling back to French then Arabic (the ministry's two official languages)."""
    lang = (get_language() or "ar")[:2]
    for code in (lang, "fr", "ar", "en"):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""


class Domain(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("training domain")
        verbose_name_plural = _("training domains")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self, "name")


class Course(models.Model):
    class Format(models.TextChoices):
        SELF_PACED = "self_paced", _("Self-paced")
        SCHEDULED = "scheduled", _("Scheduled sessions")
        BLENDED = "blended", _("Blended")

    class EnrolmentMode(models.TextChoices):
        OPEN = "open", _("Open enrolment")
        MANAGER_APPROVAL = "manager_approval", _("Approved by the manager")

    class Language(models.TextChoices):
        ARABIC = "ar", "العربية"
        FRENCH = "fr", "Français"
        ENGLISH = "en", "English"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    domain = models.ForeignKey(
        Domain, verbose_name=_("domain"), on_delete=models.PROTECT, related_name="courses"
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ARABIC
    )
    duration_hours = models.PositiveIntegerField(_("duration (hours)"), default=1)
    format = models.CharField(
        _("format"), max_length=16, choices=Format.choices, default=Format.SELF_PACED
    )
    # Grades the course is meant for (the ministry's grade labels); empty: every grade.
    audience_grades = models.JSONField(_("grades"), default=list, blank=True)
    # Empty: staff of every directorate.
    audience_directorates = models.ManyToManyField(
        "collab.Directorate",
        verbose_name=_("directorates"),
        blank=True,
        related_name="training_courses",
    )
    # None: unlimited.
    seats = models.PositiveIntegerField(_("seats"), null=True, blank=True)
    enrolment_mode = models.CharField(
        _("enrolment"), max_length=20, choices=EnrolmentMode.choices, default=EnrolmentMode.OPEN
    )
    published = models.BooleanField(_("published"), default=False, db_index=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainers"),
        blank=True,
        related_name="courses_trained",
    )
    # The course's group conversation in chat, made on first enrolment.
    conversation = models.OneToOneField(
        "chat.Conversation",
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_course",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Folded titles, descriptions and domain names (chat's Arabic-aware folding):
    # the catalogue's search matches words in any of the three languages.
    search_text = models.TextField(editable=False, blank=True, default="")
    # "|grade|grade|" (empty: every grade), so a grade filters with one portable lookup.
    grades_text = models.CharField(editable=False, max_length=500, blank=True, default="")

    class Meta:
        ordering = ["code"]
        verbose_name = _("course")
        verbose_name_plural = _("courses")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.refresh_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text", "grades_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("training:course", args=[self.code])

    @property
    def my_status_label(self) -> str:
        """The viewer's enrolment status, from the catalogue's ``my_status`` annotation."""
        status = getattr(self, "my_status", None)
        return Enrolment.Status(status).label if status else ""

    def refresh_search_text(self) -> None:
        from chat.text import index_text

        domain = self.domain if self.domain_id else None
        parts = [
            self.code, self.title_ar, self.title_fr, self.title_en,
            self.description_ar, self.description_fr, self.description_en,
        ]
        if domain is not None:
            parts += [domain.name_ar, domain.name_fr, domain.name_en]
        self.search_text = index_text(" ".join(p for p in parts if p))
        grades = [str(g).strip() for g in (self.audience_grades or []) if str(g).strip()]
        self.grades_text = "".join(f"|{g}" for g in grades) + "|" if grades else ""

    @property
    def title(self) -> str:
        return _in_language(self, "title") or self.code

    @property
    def description(self) -> str:
        return _in_language(self, "description")

    @property
    def seats_left(self) -> int | None:
        """None when unlimited. Uses the catalogue's ``seats_taken`` annotation when present."""
        if self.seats is None:
            return None
        taken = getattr(self, "seats_taken", None)
        if taken is None:
            taken = self.enrolments.filter(status__in=Enrolment.SEATED).count()
        return max(self.seats - taken, 0)


class Enrolment(models.Model):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        WAITING_LIST = "waiting_list", _("On the waiting list")
        ENROLLED = "enrolled", _("Enrolled")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        SELF = "self", _("Self-enrolment")
        ASSIGNED = "assigned", _("Assigned")

    # Statuses that hold a seat.
    SEATED = (Status.ENROLLED, Status.IN_PROGRESS, Status.COMPLETED)
    # Statuses still counted as active (not withdrawn, not done).
    ACTIVE = (Status.PENDING_APPROVAL, Status.WAITING_LIST, Status.ENROLLED, Status.IN_PROGRESS)

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    # Set for mandatory courses.
    due_date = models.DateField(_("due date"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.SELF
    )
    # The engine's application when the manager approves the enrolment.
    application = models.ForeignKey(
        "staff_requests.Request",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_enrolments",
    )
    # 0-100, written by lesson tracking.
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="training_enrolment_once"),
            models.CheckConstraint(
                condition=models.Q(progress_percent__lte=100),
                name="training_progress_at_most_100",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="training_enrol_user_status"),
            models.Index(fields=["course", "status"], name="training_enrol_course_status"),
        ]

    def __str__(self):
        return f"{self.user} · {self.course}"

    @property
    def is_overdue(self) -> bool:
        return (
            self.due_date is not None
            and self.status != self.Status.COMPLETED
            and self.status != self.Status.WITHDRAWN
            and self.due_date < timezone.localdate()
        )


class MandatoryAssignment(models.Model):
    """HR makes a course mandatory for a directorate's staff or a group's members."""

    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="assignments"
    )
    directorate = models.ForeignKey(
        "collab.Directorate",
        verbose_name=_("directorate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    group = models.ForeignKey(
        "auth.Group",
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("due date"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mandatory assignment")
        verbose_name_plural = _("mandatory assignments")
        constraints = [
            # Exactly one target: a directorate or a group.
            models.CheckConstraint(
                condition=(
                    models.Q(directorate__isnull=False, group__isnull=True)
                    | models.Q(directorate__isnull=True, group__isnull=False)
                ),
                name="training_assignment_one_target",
            ),
        ]

    def __str__(self):
        return f"{self.course} · {self.directorate or self.group}"


class LiveSession(models.Model):
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="sessions"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    meeting_url = models.URLField(_("meeting link"), max_length=500)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # When the reminder went out, so the command sends it once.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("live session")
        verbose_name_plural = _("live sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="training_session_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title or str(self.course)


class Attendance(models.Model):
    session = models.ForeignKey(
        LiveSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    present = models.BooleanField(_("present"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="training_attendance_once"),
        ]

    def __str__(self):
        return f"{self.session} · {self.user}"


# Course content (modules, lessons, progress, quizzes, certificates).
from .models_content import *  # noqa: E402,F403
