"""Event declarations and publish()."""

import json

import pytest

from collab import events, faults


def test_every_event_and_action_is_declared_once_with_a_known_audience():
    assert events.EVENTS, "no events declared"
    for name, event_type in events.EVENTS.items():
        assert name == event_type.name
        assert isinstance(event_type.audience, events.Audience)
        assert event_type.doc
    for name, action_type in events.ACTIONS.items():
        assert name == action_type.name
        assert action_type.handler.count(".") >= 1
    with pytest.raises(ValueError):
        events.event("notification.created", events.Audience.USER, {}, "again")


def test_action_handlers_import():
    from django.utils.module_loading import import_string

    for action_type in events.ACTIONS.values():
        assert callable(import_string(action_type.handler))


def test_publish_refuses_a_payload_that_does_not_match_the_schema(db):
    with pytest.raises(events.PayloadError, match="missing field: unread"):
        events.publish(events.NOTIFICATION_READ, to=1, ids=[])
    with pytest.raises(events.PayloadError, match="unknown fields: extra"):
        events.publish(events.NOTIFICATION_READ, to=1, ids=[], unread=0, extra=1)
    with pytest.raises(events.PayloadError, match="must be int"):
        events.publish(events.NOTIFICATION_READ, to=1, ids=[], unread="3")


def test_session_group_names_do_not_reveal_the_session_key():
    name = events.group_name(events.Audience.SESSION, "abcdef123456secret")
    assert "secret" not in name
    assert name.startswith("session.")
    assert len(name) < 100


def test_publish_waits_for_commit(db, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(events, "_group_send", lambda group, message: sent.append((group, message)))
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.NOTIFICATION_READ, to=5, ids=[1], unread=0)
        assert sent == []
    assert len(sent) == 1
    group, message = sent[0]
    assert group == "user.5"
    assert message["type"] == "collab.event" and message["event"] == "notification.read"
    # Encoded once for every receiving socket.
    assert json.loads(message["frame"]) == {
        "type": "event", "event": "notification.read", "data": {"ids": [1], "unread": 0}
    }


def test_a_down_channel_layer_does_not_fail_the_write(monkeypatch, caplog):
    class Broken:
        async def group_send(self, group, message):
            raise ConnectionError("redis down")

    monkeypatch.setattr(events, "get_channel_layer", lambda: Broken())
    try:
        # An outage is one line, however many events it drops.
        events._group_send("user.1", events.event_message("x", {}))
        events._group_send("user.2", events.event_message("y", {}))
        assert caplog.text.count("channel layer (Redis) unavailable: ConnectionError") == 1
    finally:
        faults.CHANNEL_LAYER.ok()


def test_an_event_that_cannot_be_sent_for_another_reason_is_logged(monkeypatch, caplog):
    class Buggy:
        async def group_send(self, group, message):
            raise TypeError("cannot serialize")

    monkeypatch.setattr(events, "get_channel_layer", lambda: Buggy())
    events._group_send("user.1", events.event_message("x", {}))
    assert "could not deliver x to user.1" in caplog.text
    assert "TypeError: cannot serialize" in caplog.text


def test_nested_parts_of_a_payload_are_checked(db):
    with pytest.raises(events.PayloadError, match=r"render\.ar\.toast"):
        events.publish(events.ANNOUNCEMENT_UPDATED, to="all", id=1,
                       render={"ar": {"item": "<li>", "toast": 3}})
    with pytest.raises(events.PayloadError, match=r"html\.de"):
        events.publish(events.CHAT_MESSAGE_CHANGED, to=1, conversation=1, seq=1, change=1,
                       html={"de": "x"}, deleted=False, pinned=False)
    with pytest.raises(events.PayloadError, match=r"ids\.0"):
        events.publish(events.NOTIFICATION_READ, to=1, ids=["1"], unread=0)


def test_every_event_field_says_what_it_holds():
    # A bare dict or list tells a client nothing about what is inside.
    vague = [
        f"{name}.{field}" for name, event_type in events.EVENTS.items()
        for field, kind in event_type.fields.items() if kind in (dict, list)
    ]
    assert not vague, f"give these fields a nested type: {', '.join(vague)}"


def test_the_schema_languages_are_the_ui_languages(settings):
    from typing import get_args

    assert set(get_args(events.Language)) == {code for code, _name in settings.LANGUAGES}
