from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import later
from .text import strip_bidi


class Directorate(models.Model):
    class Kind(models.TextChoices):
        CENTRAL = "central", _("Central directorate")
        REGIONAL = "regional", _("Regional directorate")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent directorate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    class Meta:
        ordering = ["kind", "name_fr"]
        verbose_name = _("directorate")
        verbose_name_plural = _("directorates")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        # Directorates have official names in Arabic and French only.
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_fr

    def descendant_ids(self) -> set[int]:
        """This directorate and every directorate below it."""
        ids, frontier = {self.pk}, [self.pk]
        while frontier:
            frontier = list(
                Directorate.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            frontier = [pk for pk in frontier if pk not in ids]
            ids.update(frontier)
        return ids


class User(AbstractUser):
    class Role(models.TextChoices):
        STAFF = "staff", _("Staff")
        MANAGER = "manager", _("Manager")
        HR_OFFICER = "hr_officer", _("HR officer")
        COMMUNICATION_OFFICER = "communication_officer", _("Communication officer")
        ADMINISTRATOR = "administrator", _("Administrator")
        # Reads the audit log and nothing else more than staff: kept apart
        # from the administrator, whose actions it records.
        AUDITOR = "auditor", _("Auditor")
        # Creates and runs distance-training courses.
        TRAINER = "trainer", _("Trainer")
        # Officer of the press directorate: checks companies and press dossiers.
        PRESS_OFFICER = "press_officer", _("Press officer")

    class Language(models.TextChoices):
        ARABIC = "ar", "العربية"
        FRENCH = "fr", "Français"
        ENGLISH = "en", "English"

    class DigestDelay(models.IntegerChoices):
        NEVER = 0, _("Never")
        HOURS_4 = 4, _("After 4 hours")
        DAY = 24, _("After a day")
        DAYS_3 = 72, _("After 3 days")

    full_name_ar = models.CharField(_("full name (Arabic)"), max_length=150, blank=True)
    directorate = models.ForeignKey(
        Directorate,
        verbose_name=_("directorate"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.STAFF)
    manager = models.ForeignKey(
        "self",
        verbose_name=_("direct manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team",
    )
    class Gender(models.TextChoices):
        FEMALE = "female", _("Woman")
        MALE = "male", _("Man")

    # Official documents word their sentences from it (Arabic and French agree
    # in gender): blank means unknown, and such documents say what is missing.
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True,
                              default="", db_default="")
    # The job title in French (the directory's), and in Arabic and English for
    # documents in those languages.
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    job_title_ar = models.CharField(_("job title (Arabic)"), max_length=150, blank=True,
                                    default="", db_default="")
    job_title_en = models.CharField(_("job title (English)"), max_length=150, blank=True,
                                    default="", db_default="")
    # The ministry's own staff number, copied from the directory at sign-in.
    # Empty by default in the database too: rows written by code that predates
    # the column (historical models in data migrations) stay valid.
    employee_number = models.CharField(
        _("employee number"), max_length=32, blank=True, default="", db_default=""
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.ARABIC
    )
    # E-mail digest of what waits unread (collab/digests.py): sent once
    # something has waited this many hours, at most once per such period.
    digest_hours = models.PositiveSmallIntegerField(
        _("e-mail me what waits for me"), choices=DigestDelay.choices,
        default=DigestDelay.DAY, db_default=DigestDelay.DAY,
        help_text=_("Unread mentions, direct messages and approvals waiting for you, "
                    "in one e-mail, when you have not read them on the intranet."),
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The single sign-on provider's stable identifier ("sub") of this person,
    # set at their first sign-in through it (collab/oidc.py): names can change
    # or be reused at the provider, this cannot.
    sso_subject = models.CharField(
        _("single sign-on identifier"), max_length=255, unique=True, null=True, blank=True,
        editable=False,
    )
    # An account of the press enterprise space (a press company's member),
    # not ministry staff. Independent of ``role``: press.middleware keeps such
    # an account inside /press/ (no intranet page, file, announcement,
    # directory entry or socket group); press.policies decides what it sees there.
    # The person's photo, a square WebP in the file store (collab.services.
    # set_avatar); empty: their initials on a colour of their own instead.
    avatar_key = models.CharField(
        _("photo"), max_length=200, blank=True, default="", db_default="", editable=False
    )
    # Every name of the person folded for the pickers' search (chat search's
    # folding: alef forms, ta marbuta, accents, case; words also without their
    # Arabic article). Kept by save(), so a rename from the directory follows.
    search_name = models.TextField(blank=True, default="", db_default="", editable=False)
    is_external = models.BooleanField(
        _("external account"), default=False, db_default=False,
        help_text=_("A press company's account: it reaches the press space only."),
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name

    NAME_FIELDS = frozenset({"username", "first_name", "last_name", "full_name_ar"})

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        # Saves of other fields only (a sign-in's last_login) leave the names alone.
        if update_fields is None or self.NAME_FIELDS & set(update_fields):
            from chat.text import index_text

            self.search_name = index_text(
                " ".join([self.username, self.first_name, self.last_name, self.full_name_ar])
            )
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        # Bidi controls never reach a page, a toast or an event through a name,
        # wherever the name came from (forms drop them; admin, shell or old rows).
        if self.full_name_ar and (get_language() or "ar").startswith("ar"):
            return strip_bidi(self.full_name_ar)
        return strip_bidi(self.get_full_name()) or self.username

    @property
    def shown_job_title(self) -> str:
        """The job title in the page's language (as official documents word it,
        gender included), else the one of reference."""
        from .documents import person_job_title

        language = (get_language() or "ar")[:2]
        return strip_bidi(person_job_title(self, language) or self.job_title.strip())

    def get_absolute_url(self):
        return reverse("profile", args=[self.username])

    @property
    def avatar_url(self) -> str:
        """The photo's address, or "" (initials then). It names the photo's
        content hash: a new photo is a new address, so one can be cached for good."""
        if not self.avatar_key:
            return ""
        return reverse("avatar", args=[self.username, self.avatar_version])

    @property
    def avatar_version(self) -> str:
        return self.avatar_key.rsplit("/", 1)[-1][:16]

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def is_administrator(self) -> bool:
        return self.role == self.Role.ADMINISTRATOR or self.is_superuser

    @property
    def is_auditor(self) -> bool:
        return self.role == self.Role.AUDITOR and self.is_active


class Notification(models.Model):
    """Something a user should know about, persisted before it is pushed live."""

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    # The text as written, in the recipient's language then: shown as it is for
    # free text (a comment, a message excerpt) and for rows older than the
    # messages below. Translated texts are shown from the message, in the
    # language of whoever reads it (collab/later.py).
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    title_message = models.JSONField(_("title message"), default=dict, blank=True)
    body_message = models.JSONField(_("body message"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    # [{"label": str, "label_message": {...}, "url": str, "style": "primary"|"danger"|"",
    #   "comment": bool}]
    actions = models.JSONField(_("actions"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def shown_title(self) -> str:
        return later.render(self.title_message, self.title)

    @property
    def shown_body(self) -> str:
        return later.render(self.body_message, self.body)

    @property
    def shown_actions(self) -> list[dict]:
        return [{**act, "label": later.render(act.get("label_message"), act.get("label", ""))}
                for act in self.actions]


class AuditEntry(models.Model):
    """One line of the audit log: who did what, when, from where.

    Append-only: written once by collab.audit.record, never changed or
    removed, in Python and in the database (triggers, migration 0002).
    The actor is kept by id and name without a foreign-key constraint, so
    that deleting an account neither fails nor rewrites its history.
    """

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", pgettext_lazy("audit", "Signed in")
        SIGN_IN_FAILED = "sign_in_failed", pgettext_lazy("audit", "Sign-in failed")
        LOCKED_OUT = "locked_out", pgettext_lazy("audit", "Sign-in locked out")
        SIGN_OUT = "sign_out", pgettext_lazy("audit", "Signed out")
        DOWNLOAD = "download", pgettext_lazy("audit", "Download")
        SHARE = "share", pgettext_lazy("audit", "Share")
        UNSHARE = "unshare", pgettext_lazy("audit", "Share revoked")
        DELETE = "delete", pgettext_lazy("audit", "Deletion")
        DECISION = "decision", pgettext_lazy("audit", "Request decision")
        DENIED = "denied", pgettext_lazy("audit", "Access denied")
        ADMIN_ADD = "admin_add", pgettext_lazy("audit", "Admin: added")
        ADMIN_CHANGE = "admin_change", pgettext_lazy("audit", "Admin: changed")
        ADMIN_DELETE = "admin_delete", pgettext_lazy("audit", "Admin: deleted")

    at = models.DateTimeField(pgettext_lazy("audit", "when"), default=timezone.now, db_index=True)
    action = models.CharField(
        pgettext_lazy("audit", "action"), max_length=32, choices=Action.choices
    )
    actor = models.ForeignKey(
        User,
        verbose_name=pgettext_lazy("audit", "user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The name typed at sign-in (failed attempts have no account), else the actor's.
    username = models.CharField(
        pgettext_lazy("audit", "username"), max_length=150, blank=True, db_index=True
    )
    object_type = models.CharField(
        pgettext_lazy("audit", "object type"), max_length=100, blank=True
    )
    object_id = models.CharField(pgettext_lazy("audit", "object id"), max_length=64, blank=True)
    object_repr = models.CharField(pgettext_lazy("audit", "object"), max_length=200, blank=True)
    detail = models.JSONField(pgettext_lazy("audit", "detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(pgettext_lazy("audit", "IP address"), null=True, blank=True)
    user_agent = models.CharField(pgettext_lazy("audit", "user agent"), max_length=300, blank=True)
    path = models.CharField(pgettext_lazy("audit", "path"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["action", "at"], name="audit_action_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")
