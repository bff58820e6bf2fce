"""Writes of announcements: one function per use case. Persist first, then publish."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collab import events, later
from collab.later import in_every_language
from collab.models import Directorate, Notification, User
from files import services as file_services

from . import policies, selectors, urgent
from .models import Announcement, Attachment, Image, Receipt
from .sanitize import clean_html, plain_text
from .sockets import ALL_STAFF_KEY

logger = logging.getLogger(__name__)

DRAFT, SCHEDULE, PUBLISH = "draft", "schedule", "publish"
_IMG_SRC = re.compile(r'<img\b[^>]*\bsrc="([^"]+)"')
ACTIONS = (DRAFT, SCHEDULE, PUBLISH)


@dataclass
class AnnouncementInput:
    title_ar: str = ""
    title_fr: str = ""
    body_ar: str = ""
    body_fr: str = ""
    category: str = Announcement.Category.NEWS
    priority: str = Announcement.Priority.NORMAL
    to_all_staff: bool = False
    directorate_ids: list[int] = field(default_factory=list)
    include_subdirectorates: bool = False
    pinned: bool = False
    publish_at: datetime | None = None
    expires_at: datetime | None = None


def check_rules(data: AnnouncementInput, action: str, now: datetime | None = None) -> None:
    """Raise ValidationError (per field, translated) for input that cannot be accepted."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if action not in ACTIONS:
        add("__all__", _("Unknown action."))
    if not (data.title_ar.strip() or data.title_fr.strip()):
        add("title_ar", _("Give a title in Arabic or in French."))
    if not (plain_text(data.body_ar) or plain_text(data.body_fr)):
        add("body_ar", _("Write the text in Arabic or in French."))
    if data.title_ar.strip() and not plain_text(data.body_ar) and plain_text(data.body_fr) \
            and not data.title_fr.strip():
        add("title_fr", _("The French text needs a French title."))
    if data.category not in Announcement.Category.values:
        add("category", _("Choose a category."))
    if data.priority not in Announcement.Priority.values:
        add("priority", _("Choose a priority."))
    if not data.to_all_staff and not data.directorate_ids:
        add("directorates", _("Choose at least one directorate, or address all staff."))
    if action == SCHEDULE:
        if data.publish_at is None:
            add("publish_at", _("Give the date and time of publication."))
        elif data.publish_at <= now:
            add("publish_at", _("The publication date is in the past. Choose a future time."))
    goes_out = data.publish_at if action == SCHEDULE and data.publish_at else now
    if data.expires_at is not None and data.expires_at <= goes_out:
        add("expires_at", _("The expiry date must come after the publication date."))
    if errors:
        raise ValidationError(errors)


def _resolve_targets(data: AnnouncementInput) -> set[int]:
    if data.to_all_staff:
        return set()
    chosen = list(Directorate.objects.filter(pk__in=data.directorate_ids))
    if len(chosen) != len(set(data.directorate_ids)):
        raise ValidationError({"directorates": [_("Unknown directorate.")]})
    targets: set[int] = set()
    for directorate in chosen:
        if data.include_subdirectorates:
            targets |= directorate.descendant_ids()
        else:
            targets.add(directorate.pk)
    return targets


def _group_keys(announcement: Announcement, target_ids=None) -> list:
    if announcement.to_all_staff:
        return [ALL_STAFF_KEY]
    if target_ids is None:
        target_ids = announcement.target_directorates.values_list("pk", flat=True)
    return sorted(target_ids)


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def render_live(announcement: Announcement) -> dict:
    """One rendering per UI language: the socket path never queries the database."""
    attachments = list(announcement.attachments.select_related("file__current_version"))
    render = {}
    for language in _languages():
        with translation.override(language):
            context = {"a": announcement, "attachments": attachments, "live": True}
            entry = {
                "item": render_to_string("announcements/partials/feed_item.html", context),
                "toast": (
                    _("Urgent announcement: %(title)s")
                    if announcement.is_urgent
                    else _("New announcement: %(title)s")
                )
                % {"title": announcement.title},
            }
            if announcement.is_urgent:
                entry["banner"] = render_to_string("announcements/partials/banner.html", context)
            render[language] = entry
    return render


def _take_off_feeds(announcement: Announcement, keys) -> None:
    """Tell the open feeds of these audience groups to drop the announcement."""
    for key in keys:
        events.publish(events.ANNOUNCEMENT_WITHDRAWN, to=key, id=announcement.pk)


def _notify_audience(announcement: Announcement) -> int:
    """The bell: one notification row per recipient, written in one bulk insert."""
    recipients = (
        selectors.audience(announcement).order_by().values_list("pk", "preferred_language")
    )
    link = announcement.get_absolute_url()
    now = timezone.now()

    def title():
        prefix = _("Urgent") if announcement.is_urgent else _("Announcement")
        return f"{prefix}: {announcement.title_in()}"[:200]

    # Shown in the language of whoever reads it; ``title`` keeps the text in
    # the recipient's language of the day (collab.services.notify does the same).
    message = in_every_language(title)
    stored = later.as_json(message)
    rows = [
        Notification(
            recipient_id=user_id,
            kind="announcement",
            title=message.values.get(language) or str(message),
            title_message=stored,
            link=link,
            created_at=now,
        )
        for user_id, language in recipients
    ]
    Notification.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _go_live(announcement: Announcement) -> None:
    """Tell every targeted group (one event each) and fill the bells. Inside the claim's
    transaction: the events leave on commit."""
    render = render_live(announcement)
    for key in _group_keys(announcement):
        events.publish(
            events.ANNOUNCEMENT_PUBLISHED,
            to=key,
            id=announcement.pk,
            priority=announcement.priority,
            pinned=announcement.pinned,
            render=render,
        )
    _notify_audience(announcement)


def _claim(announcement: Announcement, from_states, now) -> bool:
    """Conditional UPDATE: of several concurrent publishers exactly one changes the row."""
    claimed = Announcement.objects.filter(pk=announcement.pk, state__in=from_states).update(
        state=Announcement.State.PUBLISHED, published_at=now
    )
    if claimed:
        announcement.state = Announcement.State.PUBLISHED
        announcement.published_at = now
        urgent.forget()  # an update(): no signal
    return bool(claimed)


def _apply(announcement: Announcement, data: AnnouncementInput) -> None:
    announcement.title_ar = data.title_ar.strip()
    announcement.title_fr = data.title_fr.strip()
    announcement.body_ar = clean_html(data.body_ar)
    announcement.body_fr = clean_html(data.body_fr)
    announcement.search_text = "\n".join(
        [
            announcement.title_ar,
            announcement.title_fr,
            plain_text(announcement.body_ar),
            plain_text(announcement.body_fr),
        ]
    )
    announcement.category = data.category
    announcement.priority = data.priority
    announcement.to_all_staff = data.to_all_staff
    announcement.include_subdirectorates = data.include_subdirectorates
    announcement.pinned = data.pinned
    announcement.publish_at = data.publish_at
    if announcement.expires_at != data.expires_at:
        announcement.expiry_announced_at = None  # a new expiry, announced in its turn
    announcement.expires_at = data.expires_at


# Per file; the files app also applies its own FILES_MAX_SIZE.
ATTACHMENT_MAX_BYTES = 25 * 1024 * 1024
# Images in the text: read on phones, often over a slow line.
IMAGE_MAX_BYTES = 5 * 1024 * 1024


def upload_image(user: User, upload) -> Image:
    """Store an image placed in an announcement's text from the editor.

    Its type is read from its content (not its name), its size and its scan
    checked before anything is kept; a refusal is a translated ValidationError.
    Until an announcement's saved text shows it, only ``user`` can see it.
    """
    from files.naming import IMAGE_TYPES, detect_type

    if not policies.can_publish(user):
        raise PermissionDenied(_("You may not publish announcements."))
    stream = upload.open("rb")
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if detect_type(head) not in IMAGE_TYPES:
        raise ValidationError(_("Choose a PNG, JPEG, GIF or WebP image."))
    if upload.size > IMAGE_MAX_BYTES:
        raise ValidationError(
            _("This image is too large: the limit is %(limit)s.")
            % {"limit": filesizeformat(IMAGE_MAX_BYTES)}
        )
    if file_services.is_infected(upload):
        raise ValidationError(
            _("%(name)s contains malware: it was refused.") % {"name": upload.name}
        )
    try:
        with transaction.atomic():
            version = file_services.store_attachment(
                user, upload, attached_to="announcements", max_size=IMAGE_MAX_BYTES
            )
            return Image.objects.create(file=version.file, uploaded_by=user)
    except file_services.UploadRefused as exc:
        raise ValidationError(exc.message) from None


# An image no saved text took within this time was abandoned with its form.
UNUSED_IMAGE_AGE = timedelta(days=2)


def discard_unused_images(limit: int = 100) -> int:
    """Delete images uploaded from the editor that no saved announcement shows
    after UNUSED_IMAGE_AGE (their bytes leave the store once nothing uses them)."""
    cutoff = timezone.now() - UNUSED_IMAGE_AGE
    unused = list(
        Image.objects.filter(announcement__isnull=True, created_at__lt=cutoff)
        .select_related("file").order_by("pk")[:limit]
    )
    with transaction.atomic():
        file_services.discard_attachments([image.file for image in unused])
    return len(unused)


def _adopt_images(announcement: Announcement, user: User) -> None:
    """The images the saved text shows, uploaded by ``user`` and not yet part of
    an announcement, become this one's: its audience may now see them. Those
    the text no longer shows go, bytes included: readers cannot reach them."""
    ids = set()
    for body in (announcement.body_ar, announcement.body_fr):
        ids |= image_ids(body)
    if ids:
        Image.objects.filter(
            pk__in=ids, announcement__isnull=True, uploaded_by=user
        ).update(announcement=announcement)
    dropped = announcement.images.exclude(pk__in=ids).select_related("file")
    file_services.discard_attachments([image.file for image in dropped])


def image_ids(html: str) -> set[int]:
    from django.urls import Resolver404, resolve

    found = set()
    for src in _IMG_SRC.findall(html or ""):
        try:
            match = resolve(unescape(src))
        except Resolver404:
            continue
        if match.view_name == "announcements:image":
            found.add(int(match.kwargs["pk"]))
    return found


def preview_announcement(user: User, data: AnnouncementInput) -> Announcement:
    """What readers would see, built exactly as a save would (sanitised text),
    but never written: nothing is saved, published or sent."""
    if not policies.can_publish(user):
        raise PermissionDenied(_("You may not publish announcements."))
    announcement = Announcement(author=user, published_at=timezone.now())
    _apply(announcement, data)
    return announcement


def _remove_attachments(announcement: Announcement, ids: list[int]) -> None:
    doomed = list(announcement.attachments.filter(pk__in=ids).select_related("file"))
    # The files app deletes the files and, after commit, the bytes nothing else uses.
    file_services.discard_attachments([a.file for a in doomed])


def save_announcement(
    user: User,
    data: AnnouncementInput,
    action: str,
    *,
    announcement: Announcement | None = None,
    uploads=(),
    remove_attachments=(),
) -> Announcement:
    """Create or edit an announcement, then keep it as a draft, schedule it or publish it."""
    if not policies.can_publish(user):
        raise PermissionDenied(_("You may not publish announcements."))
    if announcement is not None and not policies.can_manage(user, announcement):
        raise PermissionDenied(_("You may not edit this announcement."))
    if announcement is not None and announcement.state == Announcement.State.WITHDRAWN:
        raise ValidationError({"__all__": [_("A withdrawn announcement cannot be edited.")]})
    was_published = announcement is not None and announcement.state == Announcement.State.PUBLISHED
    if was_published:
        # Editing what readers already have: it stays published, marked "updated".
        action = PUBLISH
    check_rules(data, action)
    targets = _resolve_targets(data)
    if not policies.may_address(user, data.to_all_staff, targets):
        raise PermissionDenied(_("You may not address this audience."))

    try:
        return _save(user, data, action, announcement, targets, was_published, uploads,
                     remove_attachments)
    except file_services.UploadRefused as exc:
        raise ValidationError({"attachments": [exc.message]}) from None


def _save(user, data, action, announcement, targets, was_published, uploads,
          remove_attachments) -> Announcement:
    # Bytes go to the file store first; if the transaction fails they are
    # removed again when nothing else uses them (files.services).
    with file_services.attachment_uploads(
        user, uploads, attached_to="announcements", max_size=ATTACHMENT_MAX_BYTES
    ) as pending, transaction.atomic():
        old_keys = set(_group_keys(announcement)) if was_published else set()
        if announcement is None:
            announcement = Announcement(author=user)
        else:
            # Lock against a scheduler publishing it while we edit.
            announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        _apply(announcement, data)
        now = timezone.now()
        if was_published:
            announcement.edited_at = now
        elif action == SCHEDULE:
            announcement.state = Announcement.State.SCHEDULED
        else:
            announcement.state = Announcement.State.DRAFT
            if action == DRAFT:
                announcement.publish_at = None
        creating = announcement.pk is None
        announcement.save()
        _adopt_images(announcement, user)
        chosen = data.directorate_ids if not data.to_all_staff else []
        if creating:  # nothing to compare against: plain inserts, none when empty
            if chosen:
                announcement.directorates.add(*chosen)
            if targets:
                announcement.target_directorates.add(*targets)
        else:
            announcement.directorates.set(chosen)
            announcement.target_directorates.set(targets)
        for item in pending:
            Attachment.objects.create(announcement=announcement, file=item.record().file)
        if remove_attachments:
            _remove_attachments(announcement, [a.pk for a in remove_attachments])
        if was_published:
            new_keys = set(_group_keys(announcement, targets))
            render = render_live(announcement)
            for key in sorted(new_keys & old_keys, key=str):
                events.publish(
                    events.ANNOUNCEMENT_UPDATED, to=key, id=announcement.pk, render=render
                )
            _take_off_feeds(announcement, sorted(old_keys - new_keys, key=str))
            for key in sorted(new_keys - old_keys, key=str):
                events.publish(
                    events.ANNOUNCEMENT_PUBLISHED,
                    to=key,
                    id=announcement.pk,
                    priority=announcement.priority,
                    pinned=announcement.pinned,
                    render=render,
                )
        elif action == PUBLISH and _claim(announcement, [Announcement.State.DRAFT], now):
            _go_live(announcement)
    return announcement


def publish_now(user: User, announcement: Announcement) -> Announcement:
    """Publish a draft or a scheduled announcement at once."""
    if not policies.can_manage(user, announcement):
        raise PermissionDenied(_("You may not publish this announcement."))
    with transaction.atomic():
        if announcement.expires_at is not None and announcement.expires_at <= timezone.now():
            raise ValidationError(
                {"expires_at": [_("The expiry date must come after the publication date.")]}
            )
        if _claim(announcement, [Announcement.State.DRAFT, Announcement.State.SCHEDULED],
                  timezone.now()):
            _go_live(announcement)
    return announcement


def withdraw(user: User, announcement: Announcement) -> Announcement:
    if not policies.can_manage(user, announcement):
        raise PermissionDenied(_("You may not withdraw this announcement."))
    with transaction.atomic():
        was_published = (
            Announcement.objects.filter(pk=announcement.pk, state=Announcement.State.PUBLISHED)
            .exists()
        )
        changed = Announcement.objects.filter(pk=announcement.pk).exclude(
            state=Announcement.State.WITHDRAWN
        ).update(state=Announcement.State.WITHDRAWN, withdrawn_at=timezone.now())
        announcement.refresh_from_db()
        if changed:
            urgent.forget()  # an update(): no signal
        if changed and was_published:
            _take_off_feeds(announcement, _group_keys(announcement))
    return announcement


def publish_due(limit: int = 100) -> list[int]:
    """Publish the scheduled announcements whose time has come; each exactly once.

    PostgreSQL: the row is locked with SKIP LOCKED, so concurrent schedulers take
    different rows and never wait on each other. SQLite has no row locks: the
    conditional UPDATE (state still 'scheduled') is the claim, and SQLite's
    single writer makes exactly one claimer see one changed row.
    """
    published = []
    skip_locked = connection.features.has_select_for_update_skip_locked
    for _round in range(limit):
        try:
            with transaction.atomic():
                due = Announcement.objects.filter(
                    state=Announcement.State.SCHEDULED, publish_at__lte=timezone.now()
                ).order_by("publish_at", "pk")
                if skip_locked:
                    due = due.select_for_update(skip_locked=True)
                announcement = due.first()
                if announcement is None:
                    break
                if not _claim(announcement, [Announcement.State.SCHEDULED], timezone.now()):
                    continue
                _go_live(announcement)
                published.append(announcement.pk)
        except OperationalError as exc:
            # SQLite: another scheduler holds the write lock. Nothing was
            # written (the transaction rolled back): try again shortly.
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.05)
    return published


def expire_due(limit: int = 100) -> list[int]:
    """Tell open feeds, live, that announcements reached their expiry; each once.

    Pages leave expired announcements out by themselves; this removes them
    from pages already open, and their urgent banners. The conditional UPDATE
    is the claim: with several schedulers, exactly one sees one changed row.
    """
    now = timezone.now()
    due = Announcement.objects.filter(
        state=Announcement.State.PUBLISHED, expires_at__lte=now, expiry_announced_at__isnull=True
    ).order_by("expires_at", "pk")[:limit]
    expired = []
    for announcement in due:
        with transaction.atomic():
            claimed = Announcement.objects.filter(
                pk=announcement.pk, expiry_announced_at__isnull=True
            ).update(expiry_announced_at=now)
            if not claimed:
                continue
            _take_off_feeds(announcement, _group_keys(announcement))
            expired.append(announcement.pk)
    return expired


# ---- Reading -------------------------------------------------------------


def _push_receipts(announcement: Announcement) -> None:
    """Live counts to the author and administrators: rendered once per language."""
    watchers = selectors.stats_watchers(announcement)
    if not watchers:
        return
    stats = selectors.receipt_stats(announcement)
    render = {}
    for language in {lang for _pk, lang in watchers}:
        with translation.override(language):
            render[language] = render_to_string(
                "announcements/partials/stats_panel.html", {"a": announcement, "stats": stats}
            )
    for user_id, language in watchers:
        events.publish(
            events.ANNOUNCEMENT_RECEIPTS,
            to=user_id,
            id=announcement.pk,
            render={language: render[language]},
        )


@transaction.atomic
def mark_read(user: User, announcement: Announcement) -> Receipt | None:
    if announcement.state != Announcement.State.PUBLISHED:
        return None
    receipt, created = Receipt.objects.get_or_create(announcement=announcement, user=user)
    if created:
        _push_receipts(announcement)
    return receipt


@transaction.atomic
def acknowledge(user: User, announcement: Announcement) -> Receipt:
    if announcement.state != Announcement.State.PUBLISHED:
        raise ValidationError(_("This announcement is no longer published."))
    receipt, _created = Receipt.objects.get_or_create(announcement=announcement, user=user)
    if receipt.acknowledged_at is None:
        receipt.acknowledged_at = timezone.now()
        receipt.save(update_fields=["acknowledged_at"])
        events.publish(events.ANNOUNCEMENT_ACKNOWLEDGED, to=user.pk, id=announcement.pk)
        _push_receipts(announcement)
    return receipt
