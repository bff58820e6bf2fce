"""Every event fits a frame: one over the budget goes as its reference."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from collab import events
from tests.conftest import connect_socket

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_every_event_has_a_reference_of_bounded_fields():
    for event in events.EVENTS.values():
        assert set(event.reference) <= set(event.fields)
        # No rendered part stays in a reference: only ids, flags and short texts.
        assert not {"html", "render", "balance_html", "names", "member_ids", "ids"} & set(
            event.reference), event.name


async def test_an_event_over_the_budget_arrives_as_its_reference(user, settings):
    socket, connected, _ = await connect_socket(user)
    assert connected
    assert json.loads(await socket.receive_from(timeout=3))["type"] == "hello"

    def publish(html):
        with transaction.atomic():
            events.publish(events.NOTIFICATION_CREATED, to=user.pk, id=7, kind="t",
                           title="x", unread=3, html=html)

    await sync_to_async(publish)("<li>small</li>")
    small = json.loads(await socket.receive_from(timeout=3))
    assert small["data"]["html"] == "<li>small</li>"
    await sync_to_async(publish)("&amp;" * (settings.WEBSOCKET_MAX_FRAME_BYTES // 8))
    raw = await socket.receive_from(timeout=3)
    frame = json.loads(raw)
    assert frame["event"] == "notification.created"
    assert frame["data"] == {"id": 7, "unread": 3, "fetch": True}
    assert len(raw.encode()) < 100
    await socket.disconnect()
