"""docs/protocol.md documents every declared event and client action."""

from pathlib import Path

from collab import events

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_protocol_doc_names_every_event_and_action():
    text = DOC.read_text()
    missing = [f"event {n}" for n in events.EVENTS if f"`{n}`" not in text]
    missing += [f"action {n}" for n in events.ACTIONS if f"`{n}`" not in text]
    missing += [f"frame {n}" for n in events.DIRECT_EVENTS if f"`{n}`" not in text]
    assert not missing, f"docs/protocol.md does not document: {', '.join(missing)}"


def test_the_generated_event_table_is_up_to_date():
    from django.core.management import call_command

    # Fails when an event or its schema changed without `python manage.py protocol_doc`.
    call_command("protocol_doc", "--check")
