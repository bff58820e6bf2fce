"""Hooks into the chat app (issue 3), which is built separately.

The files app never imports chat models. It uses two functions if chat
provides them, and says clearly when it does not:

- ``chat.services.send_message(conversation_id, sender, text, attachments=[...])``
  posts the attachment message (live, through chat's own events);
- ``chat.selectors.conversation_ids_for(user)`` lists the conversations a user
  belongs to, which grants access to files shared with them.
"""

from __future__ import annotations

from importlib import import_module


class ChatUnavailable(Exception):
    """The chat app does not (yet) offer the hook files needs."""


def _hook(module: str, name: str):
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def chat_available() -> bool:
    return _hook("chat.services", "send_message") is not None


def post_attachment(conversation_id: int, sender, text: str, attachment: dict) -> None:
    send_message = _hook("chat.services", "send_message")
    if send_message is None:
        raise ChatUnavailable("chat.services.send_message is not available")
    send_message(conversation_id, sender, text, attachments=[attachment])


def conversation_ids_for(user) -> list[int]:
    """Conversations ``user`` belongs to; none while chat offers no hook."""
    hook = _hook("chat.selectors", "conversation_ids_for")
    return list(hook(user)) if hook is not None else []
