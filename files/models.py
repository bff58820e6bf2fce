from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class File(models.Model):
    """A document a member of staff owns; its bytes are in its versions."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    name = models.CharField(_("name"), max_length=255)
    # Empty for a document in My files; otherwise the label of the app whose
    # record holds this file as an attachment (a leave request, an
    # announcement). Attachments never show in My files, are not shared and
    # do not count against the quota: they are reached only through the page
    # of the record they belong to, after that app's own permission check.
    attached_to = models.CharField(_("attached to"), max_length=40, blank=True, db_index=True)
    current_version = models.ForeignKey(
        "FileVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The owner's quota total reads its file ids from the index alone.
            models.Index(fields=["owner", "attached_to"], include=["id"], name="file_owner_quota"),
        ]
        verbose_name = _("file")
        verbose_name_plural = _("files")

    def __str__(self):
        return self.name

    @property
    def is_attachment(self) -> bool:
        return bool(self.attached_to)


class FileVersion(models.Model):
    class Scan(models.TextChoices):
        PENDING = "pending", _("Being checked")
        CLEAN = "clean", _("Clean")
        INFECTED = "infected", _("Blocked: malware found")
        FAILED = "failed", _("Could not be checked")
        NOT_SCANNED = "not_scanned", _("Not scanned")

    # Only these may be seen by anyone but the owner.
    AVAILABLE = (Scan.CLEAN, Scan.NOT_SCANNED)

    file = models.ForeignKey(
        File, verbose_name=_("file"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("number"))
    blob_key = models.CharField(_("storage key"), max_length=200, db_index=True)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("detected type"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    scan_status = models.CharField(
        _("scan status"), max_length=16, choices=Scan.choices, default=Scan.PENDING
    )
    scan_detail = models.CharField(_("scan detail"), max_length=200, blank=True)
    # A small WebP of an image version, itself stored by content hash.
    thumbnail_key = models.CharField(_("thumbnail key"), max_length=200, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["file", "number"], name="file_version_number"),
        ]
        indexes = [
            # The quota total sums sizes from the index, without reading the versions.
            models.Index(fields=["file"], include=["size"], name="file_version_size"),
        ]
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")

    def __str__(self):
        return f"{self.file.name} v{self.number}"

    @property
    def available(self) -> bool:
        return self.scan_status in self.AVAILABLE

    @property
    def is_image(self) -> bool:
        from .naming import IMAGE_TYPES

        return self.content_type in IMAGE_TYPES


class Share(models.Model):
    """Access to a file for one person, one directorate or one conversation."""

    file = models.ForeignKey(
        File, verbose_name=_("file"), on_delete=models.CASCADE, related_name="shares"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="file_shares",
    )
    directorate = models.ForeignKey(
        "collab.Directorate",
        verbose_name=_("directorate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="file_shares",
    )
    # A chat conversation (a plain id: chat owns its rows; access is checked
    # against chat's memberships at request time, see selectors).
    conversation_id = models.PositiveBigIntegerField(_("conversation"), null=True, blank=True)
    # The attachment message posted in that conversation, updated when a scan ends.
    message_id = models.PositiveBigIntegerField(_("chat message"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("shared at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, directorate__isnull=True, conversation_id__isnull=True)
                    | Q(user__isnull=True, directorate__isnull=False, conversation_id__isnull=True)
                    | Q(user__isnull=True, directorate__isnull=True, conversation_id__isnull=False)
                ),
                name="share_has_one_target",
            ),
        ]
        indexes = [models.Index(fields=["file", "revoked_at"], name="share_file_active")]
        verbose_name = _("share")
        verbose_name_plural = _("shares")

    def __str__(self):
        return f"{self.file} → {self.user or self.directorate or self.conversation_id}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AttachedFile(models.Model):
    """Base of another app's attachment row: a File of this app (stored once
    by content, scanned, served by ``files.views.serve_version`` after that
    app's own permission check), linked to the thing it is attached to."""

    file = models.ForeignKey(
        "files.File", verbose_name=_("file"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def version(self):
        return self.file.current_version

    @property
    def size(self) -> int:
        return self.version.size if self.version else 0


class UploadReservation(models.Model):
    """Quota held by one upload in progress, taken before its first byte is
    stored. The quota check counts stored versions plus these rows, under a
    lock on the owner's row, so uploads running at once can never together
    exceed the quota. A successful upload deletes its row in the transaction
    that records its version; a failed one deletes it at once. A row left by
    a process that died mid-upload stops counting once it is older than
    FILES_RESERVATION_SECONDS, and the orphan sweep removes it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    size = models.BigIntegerField(_("size"))
    # Refreshed each time the reservation grows (a stream of unknown length).
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("upload reservation")
        verbose_name_plural = _("upload reservations")

    def __str__(self):
        return f"{self.user_id}: {self.size}"
