"""Handlers for client actions declared in collab/events.py.

Each takes the user and the validated payload, runs in a worker thread, and
returns the reply payload or raises ActionError.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from .models import User
from .selectors import notifications_after, unread_count


class ActionError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def ping(user: User, data: dict) -> dict:
    return {}


def sync(user: User, data: dict) -> dict:
    missed = notifications_after(user, data["notifications_after"])
    with translation.override(user.preferred_language):
        items = [
            {
                "id": n.pk,
                "kind": n.kind,
                "title": n.title,
                "html": render_to_string(
                    "collab/partials/notification_item.html", {"notification": n}
                ),
            }
            for n in missed
        ]
    return {"unread": unread_count(user), "notifications": items}
