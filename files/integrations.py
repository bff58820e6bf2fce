"""Files and chat, joined directly ("share with a conversation").

Access to a file shared with a conversation follows chat's memberships at
request time (``chat.selectors.conversation_ids_for``), so leaving or being
removed ends it at once. The attachment message goes through
``chat.services.send_message`` (chat's own events make it live) and is
updated through ``chat.services.update_attachment`` when a scan ends.
chat never imports files, so there is no import cycle.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from chat import selectors as chat_selectors
from chat import services as chat_services


class NotAMember(Exception):
    """The user may not post in this conversation; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def conversation_ids_for(user):
    """The conversations ``user`` belongs to now, as a lazy subquery."""
    return chat_selectors.conversation_ids_for(user)


def conversations_of(user) -> list[tuple[int, str, bool]]:
    """(id, title as ``user`` sees it, whether ``user`` may post there) of each
    of the user's conversations, latest activity first."""
    return [
        (item.pk, item.title, chat_services.can_post(user, item.conversation))
        for item in chat_selectors.conversations_for(user)
    ]


def require_member(user, conversation_id) -> int:
    """The conversation id if ``user`` is a member who may post there."""
    try:
        membership = chat_services.membership_of(user, conversation_id)
    except chat_services.ChatError:
        raise NotAMember(
            _("You can only share files with a conversation you are a member of.")
        ) from None
    if not chat_services.can_post(user, membership.conversation):
        raise NotAMember(_("Only some roles may post in this conversation."))
    return membership.conversation_id


def attachment(file, version) -> dict:
    """How chat shows this version: a permission-checked link, a thumbnail
    when there is one, and a state while it is quarantined or blocked."""
    from .models import FileVersion

    state = ""
    if version.scan_status == FileVersion.Scan.PENDING:
        state = "checking"
    elif not version.available:
        state = "blocked"
    data = {
        "file_id": file.pk,
        "name": file.name,
        "size": version.size,
        "url": reverse("files:download", args=[file.pk]) + f"?v={version.number}",
        "state": state,
    }
    if version.thumbnail_key and not state:
        data["thumbnail"] = reverse("files:thumbnail", args=[file.pk]) + f"?v={version.number}"
    return data


def post_attachment(user, conversation_id: int, data: dict) -> int:
    """Post the attachment message; returns its id. Raises NotAMember."""
    try:
        return chat_services.send_message(user, conversation_id, "", attachments=[data]).pk
    except chat_services.ChatError as exc:
        raise NotAMember(exc.message) from None


def update_attachment(message_id: int, data: dict) -> None:
    chat_services.update_attachment(message_id, data)


def remove_attachment(message_id: int, file_id: int) -> None:
    chat_services.remove_attachment(message_id, file_id)
