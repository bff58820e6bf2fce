"""Live: the requester's sockets receive every decision and the re-rendered status."""

import datetime

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from requests import services
from tests.conftest import connect_socket

from .conftest import next_monday


async def frames_until(communicator, wanted: set[str], limit=10) -> dict:
    seen = {}
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame.get("type") == "event":
            seen.setdefault(frame["event"], frame["data"])
        if wanted <= set(seen):
            return seen
    raise AssertionError(f"missing {wanted - set(seen)}; got {list(seen)}")


@pytest.mark.django_db(transaction=True)
async def test_requester_sees_the_decision_live(org, types):
    monday = next_monday(2)
    req = await sync_to_async(services.submit_leave)(
        org["employee"], types["leave-annual"], start=monday,
        end=monday + datetime.timedelta(days=2))
    employee_socket, connected, _ = await connect_socket(org["employee"])
    director_socket, connected_too, _ = await connect_socket(org["director"])
    assert connected and connected_too
    assert (await employee_socket.receive_json_from(timeout=5))["type"] == "hello"
    assert (await director_socket.receive_json_from(timeout=5))["type"] == "hello"
    try:
        await sync_to_async(services.decide)(req.pk, org["director"], approve=True,
                                             comment="Accordé")
        seen = await frames_until(employee_socket, {"request.updated", "notification.created"})
        update = seen["request.updated"]
        assert update["id"] == req.pk and update["stage"] == "completed"
        assert f'id="request-{req.pk}-status"' in update["html"]
        assert "Accordé" in update["html"]
        assert 'data-testid="balance-remaining">19<' in update["balance_html"]
        assert req.reference in seen["notification.created"]["title"]
        # Nothing about the employee's request goes to the manager's socket as request.updated.
        assert await director_socket.receive_nothing(timeout=0.3)
    finally:
        await employee_socket.disconnect()
        await director_socket.disconnect()
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_decider_is_notified_live_with_actions(org, types):
    director_socket, connected, _ = await connect_socket(org["director"])
    assert connected
    await director_socket.receive_json_from(timeout=5)  # hello
    try:
        monday = next_monday(3)
        req = await sync_to_async(services.submit_leave)(
            org["employee"], types["leave-annual"], start=monday, end=monday)
        seen = await frames_until(director_socket, {"notification.created"})
        html = seen["notification.created"]["html"]
        assert f"/requests/{req.pk}/decide/1/?decision=approve" in html
        assert f"/requests/{req.pk}/decide/1/?decision=reject" in html
        assert 'name="comment"' in html
    finally:
        await director_socket.disconnect()
        await sync_to_async(connections.close_all)()
