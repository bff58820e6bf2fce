"""Conversations, their members and their messages.

Every message carries a per-conversation sequence number (``seq``) taken from
a counter on the conversation row under a row lock, so two concurrent senders
never get the same number and a client can tell exactly what it missed.
Edits, deletions, reactions and pins stamp the message with the next value of
a second counter (``change``), so a client that was offline can ask for every
change after the last one it saw.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_MESSAGE_LENGTH = 4000
REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"]


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECTORATE = "directorate", _("Directorate channel")
        MINISTRY = "ministry", _("Ministry-wide channel")
        DIRECT = "direct", _("Direct message")
        GROUP = "group", _("Private group")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    directorate = models.OneToOneField(
        "collab.Directorate",
        verbose_name=_("directorate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channel",
    )
    # "smaller-larger" user ids: one direct conversation per pair.
    direct_key = models.CharField(max_length=41, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Ministry-wide channels: roles allowed to post; empty means everyone.
    posting_roles = models.JSONField(_("roles allowed to post"), default=list, blank=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_change = models.PositiveBigIntegerField(default=0)
    # The languages its members read: each message is rendered once per
    # language here. Kept by chat.services when members join, leave or change
    # language, so sending never scans the members.
    member_languages = models.JSONField(default=list, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self):
        return self.title or f"{self.get_kind_display()} {self.pk}"

    @property
    def is_private(self) -> bool:
        return self.kind in (self.Kind.DIRECT, self.Kind.GROUP)


class Membership(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships"
    )
    last_read_seq = models.PositiveBigIntegerField(default=0)
    # Muted: still counted as unread, but no desktop notification nor sound.
    muted = models.BooleanField(_("muted"), default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="chat_member_once")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user_id}@{self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveBigIntegerField()
    change = models.PositiveBigIntegerField(default=0, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("text"), max_length=MAX_MESSAGE_LENGTH)
    # Sanitised HTML of ``body`` (language-independent), rendered once on write.
    body_html = models.TextField(blank=True)
    # Folded text for search (Arabic letter variants, diacritics, accents).
    search_text = models.TextField(blank=True)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Attachments hook (files issue): [{"name", "url", "size"}], rendered with the message.
    attachments = models.JSONField(default=list, blank=True)
    # Chosen by the sender's browser for each message it sends: a send retried
    # after a lost reply or a reconnect finds the message already stored.
    client_id = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_once"),
            models.UniqueConstraint(
                fields=["conversation", "author", "client_id"],
                condition=~models.Q(client_id=""),
                name="chat_message_client_id_once",
            ),
        ]
        indexes = [
            models.Index(fields=["conversation", "change"], name="chat_msg_change"),
            # A conversation page lists its pins: few rows among many messages,
            # so only the pinned ones are indexed.
            models.Index(
                fields=["conversation", "pinned_at"],
                condition=models.Q(pinned_at__isnull=False),
                name="chat_msg_pinned",
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.conversation_id}#{self.seq}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Reaction(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=16)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user", "emoji"], name="chat_react_once")
        ]

    def __str__(self):
        return self.emoji
