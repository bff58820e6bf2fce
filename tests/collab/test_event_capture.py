"""Core events through the capture harness, and the check that every declared
event is captured by some test."""

import ast
from pathlib import Path

from collab import events, services
from collab.testing import capture_events

TESTS = Path(__file__).resolve().parents[1]


def test_notifications_publish_created_then_read(user):
    with capture_events() as captured:
        note = services.notify(user, kind="info", title="Réunion <demain>")
    data = captured.assert_published(events.NOTIFICATION_CREATED, to=user.pk, id=note.pk)
    assert data["unread"] == 1 and "&lt;demain&gt;" in data["html"]

    with capture_events() as captured:
        services.mark_notifications_read(user)
    captured.assert_published(events.NOTIFICATION_READ, to=user.pk, ids=[], unread=0)


def test_ending_a_login_or_an_account_publishes_the_closing_events(user):
    with capture_events() as captured:
        services.end_session("s3cr3t-session-key")
        services.disable_account_sockets(user, reason="account deleted")
    # The session's group is a hash of its key (group checked by the harness).
    captured.assert_published(events.SESSION_ENDED, to="s3cr3t-session-key", reason="logout")
    captured.assert_published(events.ACCOUNT_DISABLED, to=user.pk, reason="account deleted")


def test_nothing_is_captured_from_a_rolled_back_write(user):
    from django.db import transaction

    with capture_events() as captured:
        try:
            with transaction.atomic():
                services.notify(user, kind="info", title="never")
                raise RuntimeError
        except RuntimeError:
            pass
    assert captured == []


def _captured_in_tests() -> set[str]:
    """Event names passed to ``assert_published`` anywhere in the suite."""
    names = set()
    for path in TESTS.rglob("*.py"):
        source = path.read_text()
        if "assert_published" not in source:  # parse only the files that may capture
            continue
        for node in ast.walk(ast.parse(source, str(path))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "assert_published" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Attribute) and isinstance(getattr(events, first.attr, None),
                                                               events.EventType):
                names.add(getattr(events, first.attr).name)
    return names


def test_every_declared_event_is_captured_by_a_test():
    # assert_published fails at run time when the event is not published, so a
    # name found here is an event some test makes its service publish.
    missing = sorted(set(events.EVENTS) - _captured_in_tests())
    assert not missing, (
        "events declared in collab/events.py but captured by no test "
        f"(collab.testing.capture_events + assert_published): {', '.join(missing)}"
    )
