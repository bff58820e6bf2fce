"""Administrative procedures: one engine (types, stages, applications, the
hash-chained timeline) and the ministry's families on top of it (leave,
certificates, social services, procedures between directorates).

The engine part (RequestType = procedure type, WorkflowStep = stage,
RoutingRule, DocumentRequirement, Request = application, RequestTransition,
TimelineEntry, Organisation) knows nothing about leave or certificates: the
press space and training register their own families and reuse it. The
historical names (Request, RequestType, WorkflowStep) are kept: every existing
row, foreign key and database trigger stays where it is.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from files.models import AttachedFile

# Members of this auth group are the HR officers for social affairs.
SOCIAL_AFFAIRS_GROUP = "hr_social_affairs"


def _localized(ar: str, fr: str, en: str = "") -> str:
    language = get_language() or "ar"
    if language.startswith("ar"):
        return ar or fr
    if language.startswith("en") and en:
        return en
    return fr or ar


class ApplicantKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    DIRECTORATE = "directorate", _("Directorate")
    ORGANISATION = "organisation", _("External organisation")


class Stage(models.TextChoices):
    """Where an application is. The lifecycle states of the engine map onto it:
    draft, submitted, in review (the kind of the current step: manager
    decision, HR processing, director decision, review, committee), returned
    for correction, suspended, and the final ones: completed (approved),
    rejected, cancelled (withdrawn) and expired."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    MANAGER_DECISION = "manager_decision", _("Manager decision")
    DIRECTOR_DECISION = "director_decision", _("Director decision")
    HR_PROCESSING = "hr_processing", _("HR processing")
    REVIEW = "review", _("Under review")
    COMMITTEE = "committee", _("Committee")
    RETURNED = "returned", _("Returned for correction")
    SUSPENDED = "suspended", _("Suspended")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", pgettext_lazy("request stage", "Cancelled")
    EXPIRED = "expired", _("Expired")


FINAL_STAGES = {Stage.COMPLETED, Stage.REJECTED, Stage.CANCELLED, Stage.EXPIRED}
# The ball is with the applicant: the service-norm clock is stopped.
APPLICANT_STAGES = {Stage.DRAFT, Stage.RETURNED}
# Paused with the ministry holding it: the clock is stopped too.
PAUSED_STAGES = {Stage.RETURNED, Stage.SUSPENDED}
# Kinds a step may have (what request.stage shows while the step runs).
STEP_KINDS = [Stage.MANAGER_DECISION, Stage.DIRECTOR_DECISION, Stage.HR_PROCESSING,
              Stage.REVIEW, Stage.COMMITTEE]
# Stages in which someone at the ministry has to act on the current step.
IN_REVIEW_STAGES = set(STEP_KINDS)


class Decider(models.TextChoices):
    """Who decides a step, relative to the applicant or named by the step."""

    # The direct manager is replaced by the acting manager while delegated or on leave.
    DIRECT_MANAGER = "direct_manager", _("Direct manager (or acting manager)")
    # The head of the applicant's directorate (or of the applying directorate).
    DIRECTOR = "director", _("Director of the applicant's directorate")
    HR_OFFICER = "hr_officer", _("HR officer")
    SOCIAL_AFFAIRS_OFFICER = "social_affairs_officer", _("HR officer for social affairs")
    # The members of the step's group: a named unit's officers (the information
    # systems directorate's equipment desk, the press office).
    UNIT_OFFICERS = "unit_officers", _("Officers of a named unit")
    # The head of the step's directorate.
    UNIT_DIRECTOR = "unit_director", _("Director of a named directorate")
    # Any member of the step's group records the committee's decision.
    COMMITTEE = "committee", _("Committee")


class Action(models.TextChoices):
    """What a decider may do at a step (a step lists those it allows)."""

    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for correction")
    FORWARD = "forward", _("Forward")
    SUSPEND = "suspend", _("Suspend and resume")


DEFAULT_ACTIONS = [Action.APPROVE, Action.REJECT, Action.RETURN, Action.SUSPEND]


def default_actions() -> list[str]:
    return [str(action) for action in DEFAULT_ACTIONS]


def family_choices() -> list:
    """The engine's own families and those other apps register (registry.register_family)."""
    from .registry import FAMILY_LABELS

    own = RequestType.Family.choices
    return [*own, *((code, label) for code, label in FAMILY_LABELS.items()
                    if code not in dict(own))]


class RequestType(models.Model):
    class Family(models.TextChoices):
        LEAVE = "leave", _("Leave")
        CERTIFICATE = "certificate", _("Certificate")
        SOCIAL = "social", _("Social services")
        INTERSERVICE = "interservice", _("Between directorates")

    class LeaveKind(models.TextChoices):
        ANNUAL = "annual", _("Annual leave")
        SICK = "sick", _("Sick leave")
        EXCEPTIONAL = "exceptional", _("Exceptional leave")
        PARENTAL = "parental", _("Maternity or paternity leave")

    class CertificateKind(models.TextChoices):
        WORK = "work", _("Work certificate")
        SALARY = "salary", _("Salary certificate")

    # Fields a type may declare required on top of those its family always needs.
    OPTIONAL_FIELDS = {
        "leave": ["reason"],
        "certificate": ["purpose"],
        "social": ["description", "amount"],
        "interservice": [],
    }

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    family = models.CharField(_("family"), max_length=16, choices=family_choices)
    applicant_kind = models.CharField(_("who applies"), max_length=16,
                                      choices=ApplicantKind.choices, default=ApplicantKind.STAFF)
    # Drafts and unanswered corrections expire; the applicant is told before.
    draft_expiry_days = models.PositiveSmallIntegerField(_("drafts expire after (days)"),
                                                         default=30)
    correction_days = models.PositiveSmallIntegerField(
        _("days given to answer a correction"), default=15)
    expiry_notice_days = models.PositiveSmallIntegerField(
        _("notice before expiry (days)"), default=3)
    leave_kind = models.CharField(
        _("leave kind"), max_length=16, choices=LeaveKind.choices, blank=True
    )
    certificate_kind = models.CharField(
        _("certificate kind"), max_length=16, choices=CertificateKind.choices, blank=True
    )
    required_fields = models.JSONField(
        _("required fields"), default=list, blank=True,
        help_text=_("Among: leave: reason; certificate: purpose; social: description, amount."),
    )
    deducts_from_balance = models.BooleanField(_("deducts from the leave balance"), default=False)
    # Maternity and paternity leave run on calendar days: weekends and public
    # holidays inside them count. Other leave counts working days only.
    counts_calendar_days = models.BooleanField(_("counted in calendar days"), default=False)
    max_days = models.DecimalField(
        _("maximum days per request"), max_digits=5, decimal_places=1,
        null=True, blank=True,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["family", "code"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_ar, self.name_fr, self.name_en)

    def required_documents(self) -> list:
        return [d for d in self.documents.all() if d.required]

    @property
    def attachment_required(self) -> bool:
        return bool(self.required_documents())

    @property
    def attachment_label(self) -> str:
        required = self.required_documents()
        return required[0].label if len(required) == 1 else ""

    def clean(self):
        allowed = set(self.OPTIONAL_FIELDS.get(self.family, []))
        unknown = set(self.required_fields or []) - allowed
        if unknown:
            raise ValidationError(
                {"required_fields": _("Unknown fields for this family: %(f)s")
                 % {"f": ", ".join(sorted(unknown))}}
            )
        if self.family == self.Family.LEAVE and not self.leave_kind:
            raise ValidationError({"leave_kind": _("A leave type needs a leave kind.")})
        if self.family == self.Family.CERTIFICATE and not self.certificate_kind:
            raise ValidationError({"certificate_kind": _("A certificate type needs a kind.")})

    def steps_in_order(self) -> list[WorkflowStep]:
        return list(self.steps.order_by("position", "pk"))


class WorkflowStep(models.Model):
    """One stage a request of this type passes through, and who decides it."""

    request_type = models.ForeignKey(
        RequestType, verbose_name=_("request type"), on_delete=models.CASCADE,
        related_name="steps",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    stage = models.CharField(
        _("stage"), max_length=20, choices=[(kind.value, kind.label) for kind in STEP_KINDS],
    )
    decider = models.CharField(_("decided by"), max_length=32, choices=Decider.choices)
    # For "officers of a named unit" and "committee": who they are.
    group = models.ForeignKey(
        "auth.Group", verbose_name=_("unit or committee members"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # For "director of a named directorate".
    unit = models.ForeignKey(
        "collab.Directorate", verbose_name=_("directorate"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    actions = models.JSONField(_("actions allowed"), default=default_actions, blank=True,
                               help_text=_("Among: approve, reject, return, forward, suspend."))
    # Service norm: working days the ministry gives itself for this step.
    norm_days = models.PositiveSmallIntegerField(_("service norm (working days)"), default=5)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    applicant_text_ar = models.TextField(_("what the applicant sees (Arabic)"), blank=True)
    applicant_text_fr = models.TextField(_("what the applicant sees (French)"), blank=True)
    applicant_text_en = models.TextField(_("what the applicant sees (English)"), blank=True)

    class Meta:
        ordering = ["request_type", "position"]
        unique_together = [("request_type", "position")]
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")

    def __str__(self):
        return f"{self.position}. {self.label} ({self.get_decider_display()})"

    @property
    def label(self) -> str:
        return _localized(self.name_ar, self.name_fr, self.name_en) or self.get_stage_display()

    @property
    def applicant_text(self) -> str:
        return _localized(self.applicant_text_ar, self.applicant_text_fr,
                          self.applicant_text_en)

    def allows(self, action: str) -> bool:
        return action in (self.actions or [])

    def clean(self):
        unknown = set(self.actions or []) - set(Action.values)
        if unknown:
            raise ValidationError({"actions": _("Unknown actions: %(a)s")
                                   % {"a": ", ".join(sorted(unknown))}})
        if self.decider in (Decider.UNIT_OFFICERS, Decider.COMMITTEE) and not self.group_id:
            raise ValidationError({"group": _("Name the unit's or committee's members.")})
        if self.decider == Decider.UNIT_DIRECTOR and not self.unit_id:
            raise ValidationError({"unit": _("Name the directorate.")})


class RoutingRule(models.Model):
    """A step runs only when its rules hold for the application's facts: the
    director's step of annual leave has "days > 10"; a step without rules
    always runs. Facts come from the family (leave: days; social: amount)."""

    class Operator(models.TextChoices):
        GT = "gt", ">"
        GTE = "gte", "≥"
        LT = "lt", "<"
        LTE = "lte", "≤"
        EQ = "eq", "="

    step = models.ForeignKey(WorkflowStep, verbose_name=_("step"), on_delete=models.CASCADE,
                             related_name="rules")
    fact = models.SlugField(_("fact"), max_length=40, help_text=_("days, amount…"))
    operator = models.CharField(_("operator"), max_length=3, choices=Operator.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["step", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return f"{self.fact} {self.get_operator_display()} {self.value}"

    def holds(self, facts: dict) -> bool:
        value = facts.get(self.fact)
        if value is None:
            return False
        value = Decimal(str(value))
        return {
            "gt": value > self.value, "gte": value >= self.value, "lt": value < self.value,
            "lte": value <= self.value, "eq": value == self.value,
        }[self.operator]


class DocumentRequirement(models.Model):
    """One line of a procedure type's checklist of documents."""

    request_type = models.ForeignKey(RequestType, verbose_name=_("procedure type"),
                                     on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    label_ar = models.CharField(_("label (Arabic)"), max_length=200)
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    # MIME types; empty accepts what the file store accepts.
    accepted_types = models.JSONField(_("accepted types"), default=list, blank=True)
    max_bytes = models.PositiveIntegerField(_("maximum size (bytes)"), null=True, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # "Issued less than N days ago" (3 months: 90).
    validity_days = models.PositiveSmallIntegerField(_("valid for (days after issue)"),
                                                     null=True, blank=True)

    class Meta:
        ordering = ["request_type", "position", "pk"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return _localized(self.label_ar, self.label_fr, self.label_en)


class Request(models.Model):
    request_type = models.ForeignKey(
        RequestType, verbose_name=_("type"), on_delete=models.PROTECT, related_name="requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT,
        related_name="staff_requests",
    )
    # Who the application is from: the requester themselves (staff), the
    # directorate they file for, or the external organisation whose account they use.
    applicant_kind = models.CharField(_("applicant kind"), max_length=16,
                                      choices=ApplicantKind.choices, default=ApplicantKind.STAFF)
    applicant_directorate = models.ForeignKey(
        "collab.Directorate", verbose_name=_("applying directorate"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="applications",
    )
    applicant_organisation = models.ForeignKey(
        "staff_requests.Organisation", verbose_name=_("applying organisation"), null=True,
        blank=True, on_delete=models.PROTECT, related_name="applications",
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices,
                             default=Stage.SUBMITTED)
    # Index into request_type's steps while the request is open; kept while
    # returned or suspended, so the application resumes at the same step.
    step_position = models.PositiveSmallIntegerField(_("current step"), default=0)
    current_step = models.ForeignKey(
        "staff_requests.WorkflowStep", verbose_name=_("current step"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    # Service-norm clock of the current step: due_at is the deadline while the
    # ministry holds the ball; it is cleared while the clock is stopped and
    # pushed back by the stopped time when the ball returns.
    stage_entered_at = models.DateTimeField(_("step entered at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    clock_stopped_at = models.DateTimeField(null=True, blank=True)
    # Returned for correction: until when, and what the applicant may change
    # (a list of {"kind": document_missing|document_incorrect|document_outdated|text,
    # "document": requirement id or null, "text": ...}).
    correction_deadline = models.DateTimeField(_("correct before"), null=True, blank=True)
    correction_items = models.JSONField(_("to correct"), default=list, blank=True)
    # Drafts and unanswered corrections expire at this time (notice sent before).
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    expiry_notice_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Who was notified for the current step (the pool of HR officers leaves it empty).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="assigned_staff_requests",
    )
    decider = models.CharField(_("decided by"), max_length=32, choices=Decider.choices,
                               blank=True)
    # Bumped by every transition: a compare-and-set guard against double decisions.
    version = models.PositiveIntegerField(default=0)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "decider"], name="req_stage_decider"),
            models.Index(fields=["current_step", "-created_at", "-id"], name="req_step_recent"),
            models.Index(fields=["request_type", "stage", "-created_at", "-id"],
                         name="req_type_stage_recent"),
            models.Index(fields=["requester", "-created_at", "-id"], name="req_requester_recent"),
            # An organisation's applications, newest first (the press space's dashboard).
            models.Index(fields=["applicant_organisation", "-created_at", "-id"],
                         name="req_organisation_recent"),
            models.Index(fields=["assignee", "-created_at", "-id"], name="req_assignee_recent"),
            models.Index(fields=["due_at"], name="req_due"),
        ]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self):
        return f"{self.reference} · {self.request_type}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("requests:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"REQ-{self.created_at:%Y}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.stage not in FINAL_STAGES

    @property
    def state(self) -> str:
        """The lifecycle state in the engine's words."""
        if self.stage in IN_REVIEW_STAGES:
            return "in_review"
        return {Stage.COMPLETED: "approved", Stage.CANCELLED: "withdrawn",
                Stage.RETURNED: "returned_for_correction"}.get(self.stage, self.stage)

    @property
    def applicant_name(self) -> str:
        if self.applicant_kind == ApplicantKind.DIRECTORATE and self.applicant_directorate_id:
            return self.applicant_directorate.name
        if self.applicant_kind == ApplicantKind.ORGANISATION and self.applicant_organisation_id:
            return self.applicant_organisation.name
        return self.requester.display_name

    @property
    def overdue(self) -> bool:
        return bool(self.due_at and self.is_open and self.due_at < timezone.now())

    def stage_label(self) -> str:
        if self.stage in IN_REVIEW_STAGES and self.current_step_id:
            return self.current_step.label
        return self.get_stage_display()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("append-only: rows are never changed")

    def delete(self):
        raise PermissionError("append-only: rows are never removed")


class AppendOnly(models.Model):
    """A record written once and never changed or removed: here, in the ORM,
    and in the database by the triggers of the migrations."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise PermissionError("append-only: rows are never changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("append-only: rows are never removed")


class RequestTransition(AppendOnly):
    """Append-only audit trail: every change of stage, who, when and why."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", pgettext_lazy("request stage", "Cancelled")
        RETURNED = "returned", _("Returned for correction")
        RESUBMITTED = "resubmitted", _("Resubmitted")
        FORWARDED = "forwarded", _("Forwarded")
        SUSPENDED = "suspended", _("Suspended")
        RESUMED = "resumed", _("Resumed")
        EXPIRED = "expired", _("Expired")

    request = models.ForeignKey(Request, verbose_name=_("request"), on_delete=models.PROTECT,
                                related_name="transitions")
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    # Empty for moves the system makes (expiry): no person acted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    # Set when the actor decided as acting manager for someone else.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("on behalf of"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("audit trail")

    def __str__(self):
        return f"{self.request_id}: {self.from_stage} → {self.to_stage}"


class Delegation(models.Model):
    """A manager hands decisions to an acting manager for a date range."""

    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"),
                                on_delete=models.CASCADE, related_name="delegations_given")
    acting_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acting manager"), on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")

    def __str__(self):
        return f"{self.manager} → {self.acting_manager} ({self.start_date}–{self.end_date})"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError(_("The end date is before the start date."))
        if self.manager_id and self.manager_id == self.acting_manager_id:
            raise ValidationError(_("A manager cannot delegate to themselves."))


class RequestAttachment(AttachedFile):
    """A file attached to a request (a medical certificate, an invoice).

    The bytes, their type, name, scan and download belong to the files app
    (files.services.attachment_uploads, files.views.serve_version); this row
    only says which request holds which file.
    """

    request = models.ForeignKey(Request, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="attachments")

    class Meta(AttachedFile.Meta):
        ordering = ["created_at", "id"]

    @property
    def filename(self) -> str:
        return self.name


# ---- Leave ---------------------------------------------------------------


class PublicHoliday(models.Model):
    """HR's correction of the public holidays calendar (requests/holidays.py):
    a holiday the package does not know or dates differently (the announced
    day of an Islamic holiday), or, unticked, a day the package estimated that
    is not a holiday after all."""

    date = models.DateField(_("date"), unique=True)
    is_holiday = models.BooleanField(
        _("public holiday"), default=True,
        help_text=_("Untick to cancel a date the calendar estimated (an Islamic holiday "
                    "announced for another day)."))
    name_ar = models.CharField(_("name (Arabic)"), max_length=120, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday override")
        verbose_name_plural = _("public holiday overrides")

    def __str__(self):
        return f"{self.date} {self.name}"

    def clean(self):
        if self.is_holiday and not (self.name_ar.strip() and self.name_fr.strip()):
            raise ValidationError(_("Name the holiday in Arabic and in French."))

    @property
    def name(self) -> str:
        return _localized(self.name_ar, self.name_fr)


class LeavePolicy(models.Model):
    """The ministry's leave rules; one row, edited by HR in the admin."""

    annual_entitlement = models.DecimalField(_("annual entitlement (working days)"),
                                             max_digits=4, decimal_places=1, default=Decimal(22))
    carry_over_max_days = models.DecimalField(
        _("maximum days carried over to the next year"), max_digits=4, decimal_places=1,
        default=Decimal(11),
    )
    sick_leave_backdate_days = models.PositiveSmallIntegerField(
        _("sick leave may start this many days in the past"), default=3
    )

    class Meta:
        verbose_name = _("leave policy")
        verbose_name_plural = _("leave policy")

    def __str__(self):
        return str(_("Leave policy"))

    @classmethod
    def current(cls) -> LeavePolicy:
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()


class LeaveBalance(models.Model):
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("employee"),
                                 on_delete=models.CASCADE, related_name="leave_balances")
    year = models.PositiveSmallIntegerField(_("year"))
    entitlement = models.DecimalField(_("entitlement"), max_digits=5, decimal_places=1,
                                      default=Decimal(0))
    carried_over = models.DecimalField(_("carried over"), max_digits=5, decimal_places=1,
                                       default=Decimal(0))
    adjustments = models.DecimalField(_("HR adjustments"), max_digits=5, decimal_places=1,
                                      default=Decimal(0))
    taken = models.DecimalField(_("taken"), max_digits=5, decimal_places=1, default=Decimal(0))

    class Meta:
        ordering = ["-year", "employee"]
        unique_together = [("employee", "year")]
        verbose_name = _("leave balance")
        verbose_name_plural = _("leave balances")

    def __str__(self):
        return f"{self.employee} {self.year}: {self.remaining}"

    @property
    def remaining(self) -> Decimal:
        return self.entitlement + self.carried_over + self.adjustments - self.taken


class LeaveBalanceEntry(AppendOnly):
    """History of every change to a balance: what the balance is the sum of."""

    class Kind(models.TextChoices):
        ENTITLEMENT = "entitlement", _("Yearly entitlement")
        CARRY_OVER = "carry_over", _("Carried over")
        ADJUSTMENT = "adjustment", _("HR adjustment")
        TAKEN = "taken", _("Leave approved")
        RESTORED = "restored", _("Leave cancelled")

    # PROTECT, not CASCADE or SET_NULL: those would rewrite or drop history.
    balance = models.ForeignKey(LeaveBalance, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    days = models.DecimalField(_("days"), max_digits=5, decimal_places=1)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("balance history entry")
        verbose_name_plural = _("balance history")

    def __str__(self):
        return f"{self.get_kind_display()} {self.days}"


class LeaveRequest(models.Model):
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="leave",
                                   primary_key=True)
    start_date = models.DateField(_("first day"))
    start_afternoon = models.BooleanField(_("starts at midday"), default=False)
    end_date = models.DateField(_("last day"))
    end_morning = models.BooleanField(_("ends at midday"), default=False)
    # Working days, or calendar days for types counted that way.
    days = models.DecimalField(_("days"), max_digits=5, decimal_places=1)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        # The team calendar asks for the leaves ending on or after a month's
        # first days: recent and future ones, few among years of history.
        indexes = [models.Index(fields=["end_date", "start_date"], name="leave_days")]

    def __str__(self):
        return f"{self.start_date} – {self.end_date} ({self.days})"

    @property
    def first_slot(self) -> int:
        # Half-day slots: 2 per day (morning, afternoon), for overlap checks.
        return self.start_date.toordinal() * 2 + (1 if self.start_afternoon else 0)

    @property
    def last_slot(self) -> int:
        return self.end_date.toordinal() * 2 + (0 if self.end_morning else 1)


# ---- Certificates ----------------------------------------------------------


class CertificateRequest(models.Model):
    class Language(models.TextChoices):
        ARABIC = "ar", "العربية"
        FRENCH = "fr", "Français"

    request = models.OneToOneField(Request, on_delete=models.CASCADE,
                                   related_name="certificate", primary_key=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    # Filled when HR issues it; the statement is frozen so the PDF and the
    # public verification page always say the same thing.
    reference_number = models.CharField(_("reference number"), max_length=40, blank=True,
                                        db_index=True)
    verification_code = models.CharField(_("verification code"), max_length=24, blank=True,
                                         db_index=True)
    statement = models.JSONField(_("statement"), default=dict, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate request")
        verbose_name_plural = _("certificate requests")
        constraints = [
            models.UniqueConstraint(fields=["verification_code"],
                                    condition=~models.Q(verification_code=""),
                                    name="certificate_unique_code"),
        ]

    def __str__(self):
        return self.reference_number or str(self.request)


# ---- Social services -------------------------------------------------------


class SocialServiceRequest(models.Model):
    class Service(models.TextChoices):
        MEDICAL = "medical", _("Medical coverage and reimbursement")
        LOAN = "loan", _("Social loan or advance")
        HOUSING = "housing", _("Housing")
        EDUCATION = "education", _("Children's schooling grant")
        HOLIDAY = "holiday", _("Holiday centres")
        OTHER = "other", _("Other")

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="social",
                                   primary_key=True)
    service = models.CharField(_("service"), max_length=16, choices=Service.choices)
    description = models.TextField(_("description"), blank=True)
    amount = models.DecimalField(_("amount (MAD)"), max_digits=10, decimal_places=2,
                                 null=True, blank=True)

    class Meta:
        verbose_name = _("social services request")
        verbose_name_plural = _("social services requests")

    def __str__(self):
        return self.get_service_display()


# ---- Procedures between directorates -------------------------------------------


class InterServiceRequest(models.Model):
    """What a directorate asks another one (equipment, a legal opinion)."""

    request = models.OneToOneField(Request, on_delete=models.CASCADE,
                                   related_name="interservice", primary_key=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("request between directorates")
        verbose_name_plural = _("requests between directorates")

    def __str__(self):
        return self.subject


# The engine's own records live in models_engine (imported here so Django finds them).
from .models_engine import (  # noqa: E402,F401
    IssuedDocument,
    Message,
    MessageRead,
    Organisation,
    SubmittedDocument,
    TimelineEntry,
)
