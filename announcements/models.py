"""Announcements: what the ministry tells its staff, to whom, and who has read it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from files.models import AttachedFile


def content_language(language: str | None = None) -> str:
    """The content language a reader sees first: Arabic readers Arabic, others French."""
    return "ar" if (language or get_language() or "ar").startswith("ar") else "fr"


class Announcement(models.Model):
    class Category(models.TextChoices):
        NEWS = "news", _("News")
        CIRCULAR = "circular", _("Circular")
        SERVICE_NOTE = "service_note", _("Service note")
        EVENT = "event", _("Event")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="announcements",
    )
    title_ar = models.CharField(_("title (Arabic)"), max_length=200, blank=True)
    title_fr = models.CharField(_("title (French)"), max_length=200, blank=True)
    # Stored already sanitised (announcements.sanitize): templates render it as is.
    body_ar = models.TextField(_("body (Arabic)"), blank=True)
    body_fr = models.TextField(_("body (French)"), blank=True)
    # Titles and bodies without markup: what search looks in.
    search_text = models.TextField(editable=False, blank=True)
    category = models.CharField(
        _("category"), max_length=16, choices=Category.choices, default=Category.NEWS
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True
    )
    to_all_staff = models.BooleanField(_("all staff"), default=False)
    include_subdirectorates = models.BooleanField(_("include sub-directorates"), default=False)
    # What the author chose ...
    directorates = models.ManyToManyField(
        "collab.Directorate",
        verbose_name=_("directorates"),
        blank=True,
        related_name="+",
    )
    # ... and what that means once sub-directorates are expanded, fixed when the
    # audience is saved: reading "is it for me?" is then one indexed join.
    target_directorates = models.ManyToManyField(
        "collab.Directorate", blank=True, related_name="announcements_received", editable=False
    )
    pinned = models.BooleanField(_("pinned"), default=False)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    edited_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # When the scheduler told open feeds that it expired (exactly once).
    expiry_announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [models.Index(fields=["state", "publish_at"], name="ann_state_publish_at")]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("announcements:detail", args=[self.pk])

    def title_in(self, language: str | None = None) -> str:
        first = content_language(language)
        if first == "ar":
            return self.title_ar or self.title_fr
        return self.title_fr or self.title_ar

    def body_in(self, language: str | None = None) -> str:
        first = content_language(language)
        if first == "ar":
            return self.body_ar or self.body_fr
        return self.body_fr or self.body_ar

    def shown_language(self, language: str | None = None) -> str:
        """The language the title is actually shown in (for lang= and dir=)."""
        first = content_language(language)
        if first == "ar":
            return "ar" if self.title_ar else "fr"
        return "fr" if self.title_fr else "ar"

    @property
    def title(self) -> str:
        return self.title_in()

    @property
    def body(self) -> str:
        return self.body_in()

    @property
    def content_lang(self) -> str:
        return self.shown_language()

    @property
    def excerpt(self) -> str:
        from .sanitize import plain_text

        return plain_text(self.body)

    @property
    def is_urgent(self) -> bool:
        return self.priority == self.Priority.URGENT

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_live(self) -> bool:
        return self.state == self.State.PUBLISHED and not self.is_expired


class Receipt(models.Model):
    """One reader's read and acknowledgement of one announcement."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="receipts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcement_receipts"
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="receipt_once_per_user")
        ]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self):
        return f"{self.user_id} / {self.announcement_id}"


class Attachment(AttachedFile):
    """A file attached to an announcement, downloadable by its audience."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta(AttachedFile.Meta):
        ordering = ["pk"]


class Image(AttachedFile):
    """An image placed in an announcement's text from the editor.

    Uploaded before the announcement is saved (a new one has no row yet): until
    then only its uploader sees it; once the text that shows it is saved, the
    announcement's audience does, through the announcement's own checks."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="images", null=True, blank=True
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(AttachedFile.Meta):
        ordering = ["pk"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def get_absolute_url(self):
        return reverse("announcements:image", args=[self.pk])
