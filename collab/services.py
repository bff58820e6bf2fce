"""Writes of the core app. Persist first; publish() delivers after commit."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import events, later
from .later import Each, Later
from .models import Notification, User
from .selectors import unread_count


def _render_notification(notification: Notification) -> str:
    # Rendered in the recipient's language: the payload is final, consumers
    # never look anything up: database work per socket and event would cost a
    # thread-pool round trip for every delivery.
    with translation.override(notification.recipient.preferred_language):
        return render_to_string(
            "collab/partials/notification_item.html", {"notification": notification}
        )


@transaction.atomic
def notify(
    recipient: User,
    *,
    kind: str,
    title: str | Later | Each,
    body: str | Later | Each = "",
    link: str = "",
    actions: list[dict] | None = None,
) -> Notification:
    """Store a notification for ``recipient`` and push it to every open tab.

    ``title``, ``body`` and the actions' ``label`` are either plain text, shown
    as written (a comment, an excerpt), or a :class:`~collab.later.Later`
    (``gettext_later``) or :class:`~collab.later.Each` (``in_every_language``),
    shown in the language of the reader at the time."""
    with translation.override(recipient.preferred_language):
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            title=str(title)[:200],
            title_message=later.as_json(title),
            body=str(body),
            body_message=later.as_json(body),
            link=link,
            actions=[
                {**act, "label": str(act["label"]),
                 **({"label_message": later.as_json(act["label"])}
                    if isinstance(act["label"], (Later, Each)) else {})}
                for act in actions or []
            ],
        )
        shown_title = notification.shown_title
    events.publish(
        events.NOTIFICATION_CREATED,
        to=recipient.pk,
        id=notification.pk,
        kind=kind,
        title=shown_title,
        unread=unread_count(recipient),
        html=_render_notification(notification),
    )
    return notification


@transaction.atomic
def mark_notifications_read(user: User, ids: list[int] | None = None) -> int:
    """Mark some (or, with ``ids=None``, all) of the user's notifications read."""
    pending = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    changed = list(pending.values_list("pk", flat=True))
    if changed:
        Notification.objects.filter(pk__in=changed).update(read_at=timezone.now())
    events.publish(
        events.NOTIFICATION_READ,
        to=user.pk,
        ids=[] if ids is None else changed,
        unread=unread_count(user),
    )
    return len(changed)


@transaction.atomic
def set_preferred_language(user: User, language: str) -> None:
    if language not in User.Language.values:
        raise ValueError(f"unsupported language {language!r}")
    user.preferred_language = language
    # save(), not update(): apps follow the change (chat renders in it).
    user.save(update_fields=["preferred_language"])


def end_session(session_key: str) -> None:
    """Close every socket opened under this login session (called on logout)."""
    events.publish(events.SESSION_ENDED, to=session_key, reason="logout")


def disable_account_sockets(user: User, reason: str = "account disabled") -> None:
    """Close every socket of a deactivated (or deleted) account."""
    events.publish(events.ACCOUNT_DISABLED, to=user.pk, reason=reason)


def recheck_account_sockets(user: User) -> None:
    """Make every open socket of ``user`` check that its login still stands
    (the password changed: some sessions ended, the current one may not)."""
    events.recheck_logins(user.pk)


# ---- Photos (avatars) ------------------------------------------------------

AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 40_000_000  # refused before decoding: a small file can claim a huge image
AVATAR_SIZE = 128  # pixels of the stored square: sharp at 64 CSS pixels on a 2x screen
AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


class AvatarRefused(ValueError):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def _avatar_image(data: bytes) -> bytes:
    """A square WebP of the picture's centre, turned upright. Re-encoding
    drops EXIF and every other metadata (the place a photo was taken)."""
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    refused = AvatarRefused(_("The photo must be a JPEG, PNG or WebP image."))
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in AVATAR_FORMATS:
                raise refused
            if image.width * image.height > AVATAR_MAX_PIXELS:
                raise AvatarRefused(_("The photo is too large (40 million pixels at most)."))
            image.draft("RGB", (AVATAR_SIZE * 2, AVATAR_SIZE * 2))  # JPEG: decode smaller
            upright = ImageOps.exif_transpose(image)
            square = ImageOps.fit(upright.convert("RGB"), (AVATAR_SIZE, AVATAR_SIZE),
                                  Image.Resampling.LANCZOS)
            out = io.BytesIO()
            square.save(out, "WEBP", quality=85)
    except AvatarRefused:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        raise refused from None
    return out.getvalue()


def set_avatar(user: User, upload) -> None:
    """Store ``upload`` (an uploaded file or bytes) as the user's photo;
    ``AvatarRefused`` with a message for the person, and nothing written, if
    it is too large or not a picture."""
    import io

    from files.storage import get_file_store

    size = len(upload) if isinstance(upload, bytes) else upload.size
    if size > AVATAR_MAX_BYTES:
        raise AvatarRefused(_("The photo is too large (5 MB at most)."))
    data = upload if isinstance(upload, bytes) else upload.read()
    blob = get_file_store().save(io.BytesIO(_avatar_image(data)))
    user.avatar_key = blob.key
    user.save(update_fields=["avatar_key"])


def remove_avatar(user: User) -> None:
    """Back to initials. The blob stays: the store shares blobs by content."""
    user.avatar_key = ""
    user.save(update_fields=["avatar_key"])


def avatar_bytes(user: User) -> bytes:
    from files.storage import get_file_store

    return b"".join(get_file_store().open(user.avatar_key)) if user.avatar_key else b""
