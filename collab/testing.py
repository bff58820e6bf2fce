"""Capture harness for live events, in the spirit of Zulip's ``verify_action``.

Run a service call inside ``capture_events()``; the events it publishes are
recorded as they leave on commit (they are also delivered as usual), each one
checked against its full schema and its audience's group. Then assert what
was published::

    with capture_events() as captured:
        services.rename_group(owner, conversation, "Budget")
    data = captured.assert_published(events.CHAT_CONVERSATION_UPDATED, to=conversation.pk)
    assert data["title"] == "Budget"

``tests/collab/test_event_capture.py`` fails when a declared event is named in
no ``assert_published`` call of the test suite.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.test import TestCase

from . import events


@dataclass(frozen=True)
class Captured:
    event: events.EventType
    to: Any
    group: str
    data: dict


class CapturedEvents(list):
    """The events published on commit, in order."""

    def record(self, event_type, to, group, payload) -> None:
        # Checked here whatever COLLAB_VALIDATE_EVENTS says: the harness is the proof.
        event_type.check(payload)
        expected = events.group_name(event_type.audience, to)
        assert group == expected, f"{event_type.name} went to {group}, not {expected}"
        self.append(Captured(event_type, to, group, payload))

    @property
    def names(self) -> list[str]:
        return [c.event.name for c in self]

    def of(self, event_type: events.EventType) -> list[Captured]:
        return [c for c in self if c.event is event_type]

    def assert_published(self, event_type: events.EventType, *, to: Any, **fields) -> dict:
        """The payload of the one ``event_type`` sent to ``to`` (its audience key),
        whose fields include ``fields``; fails if there is none or more than one."""
        matches = [
            c for c in self.of(event_type)
            if str(c.to) == str(to) and all(c.data.get(k) == v for k, v in fields.items())
        ]
        assert len(matches) == 1, (
            f"expected one {event_type.name} to {to} with {fields}, got {len(matches)}; "
            f"published: {[(c.event.name, c.to) for c in self]}"
        )
        return matches[0].data

    def recipients(self, event_type: events.EventType) -> set[str]:
        """The audience keys ``event_type`` went to (as strings)."""
        return {str(c.to) for c in self.of(event_type)}


@contextmanager
def capture_events():
    """Record the events published by the block, once its transaction commits.

    Inside a test's transaction (pytest-django's ``db``) the on-commit callbacks
    registered in the block run when it exits, as a real commit would run them."""
    captured = CapturedEvents()
    events._recorders.append(captured.record)
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield captured
    finally:
        events._recorders.remove(captured.record)
