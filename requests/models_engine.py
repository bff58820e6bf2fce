"""The engine's own records: external organisations, submitted documents,
the hash-chained timeline and the conversation of an application.

Imported at the end of models.py (Django finds models there); kept apart so
the families' models and the engine's do not share one long file.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AppendOnly, Request, RequestAttachment, RequestTransition, _localized


class Organisation(models.Model):
    """An external organisation that applies through its account (a press
    company). Minimal on purpose: the press space extends it with its own
    models (companies, journalists) pointing here."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    # The accounts that act for the organisation.
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"),
                                     related_name="organisations", blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return _localized(self.name_ar, self.name_fr, self.name_en)


class SubmittedDocument(models.Model):
    """A file given for one line of the type's checklist, and the officer's check."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="documents")
    requirement = models.ForeignKey("staff_requests.DocumentRequirement", null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    attachment = models.OneToOneField(RequestAttachment, on_delete=models.CASCADE,
                                      related_name="document")
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "pk"]
        verbose_name = _("submitted document")
        verbose_name_plural = _("submitted documents")

    def __str__(self):
        return f"{self.attachment.filename} ({self.get_status_display()})"


def chain_hash(previous: str, *, request_id: int, seq: int, kind: str, public: bool,
               actor_id: int | None, at, payload: dict) -> str:
    """H(previous hash, the entry's content): changing, removing or reordering
    any entry breaks every hash after it."""
    body = json.dumps(
        [previous, request_id, seq, kind, public, actor_id, at.isoformat(), payload],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


class TimelineEntry(AppendOnly):
    """One append-only, hash-chained log per application: transitions,
    messages, document checks and deadlines. Public entries are shown to the
    applicant; officers see all. Each application's chain starts from an
    empty hash; the application row lock serialises its writers."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Transition")
        MESSAGE = "message", _("Message")
        NOTE = "note", _("Internal note")
        DOCUMENT = "document", _("Document check")
        DEADLINE = "deadline", _("Deadline")
        ASSIGNMENT = "assignment", _("Assignment")

    request = models.ForeignKey(Request, on_delete=models.PROTECT, related_name="timeline")
    seq = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    public = models.BooleanField(_("shown to the applicant"), default=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    transition = models.OneToOneField(RequestTransition, null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="entry")
    payload = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["request", "seq"]
        constraints = [models.UniqueConstraint(fields=["request", "seq"],
                                               name="timeline_request_seq")]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")

    def __str__(self):
        return f"{self.request_id}#{self.seq} {self.kind}"

    def expected_hash(self) -> str:
        return chain_hash(self.prev_hash, request_id=self.request_id, seq=self.seq,
                          kind=self.kind, public=self.public, actor_id=self.actor_id,
                          at=self.at, payload=self.payload)


class Message(models.Model):
    """The conversation of an application (applicant and officers) and the
    officers' internal notes (``internal``: never shown to the applicant)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("message"))
    internal = models.BooleanField(_("internal note"), default=False)
    attachments = models.ManyToManyField(RequestAttachment, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return self.body[:60]


class MessageRead(models.Model):
    """Read receipt: who has read an application's conversation up to when."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    read_until = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "user"],
                                               name="message_read_once")]

    def __str__(self):
        return f"{self.user_id} read {self.request_id} until {self.read_until}"


class IssuedDocument(models.Model):
    """Every document the ministry issues with a verification code (decision
    letters, and the documents issued through collab.documents.issue: press
    cards, attestations, training certificates); certificates keep their own
    rows and are found by the same public page through the verification
    registry)."""

    code = models.CharField(_("verification code"), max_length=24, unique=True)
    kind = models.SlugField(_("kind"), max_length=40)
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="issued_documents")
    language = models.CharField(_("language"), max_length=5)
    # Frozen at issue: the PDF and the verification page always agree.
    statement = models.JSONField(_("statement"), default=dict)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # What the public verification page shows (collab/documents.py): who holds
    # the document and their photo (a file store key), never the statement.
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")
    holder_name = models.CharField(_("holder's name"), max_length=200, blank=True, default="")
    photo_key = models.CharField(max_length=200, blank=True, default="")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self):
        return f"{self.kind} {self.code}"
