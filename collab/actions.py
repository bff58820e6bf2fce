"""Handlers for client actions declared in collab/events.py.

Each takes the user and the validated payload, runs in a worker thread, and
returns the reply payload or raises ActionError.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from . import events
from .models import User
from .selectors import notifications_after, unread_count

SYNC_PAGE = 50  # notifications read per sync; fewer when they do not fit a frame


class ActionError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def ping(user: User, data: dict) -> dict:
    return {}


def sync(user: User, data: dict) -> dict:
    """The notifications created after the given id, oldest first, as many as fit
    one frame (``events.frame_budget()``); ``more``: ask again after the last one."""
    budget = events.ByteBudget()
    items = []
    more = False
    with translation.override(user.preferred_language):
        for n in notifications_after(user, data["notifications_after"], SYNC_PAGE):
            item = {
                "id": n.pk,
                "kind": n.kind,
                "title": n.shown_title,
                "html": render_to_string(
                    "collab/partials/notification_item.html", {"notification": n}
                ),
            }
            if not budget.take(item):
                more = True
                break
            items.append(item)
        else:
            more = len(items) == SYNC_PAGE
    return {"unread": unread_count(user), "notifications": items, "more": more}
