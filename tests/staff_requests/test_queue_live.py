"""Live back office: an officer's open sockets are told when an application
arrives at a step their unit decides, and officers of other units are not."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from requests import services
from tests.conftest import connect_socket

from .test_request_live import frames_until


@pytest.fixture
def dsi_officer(user_factory):
    from django.contrib.auth.models import Group

    from requests.defaults import DSI_EQUIPMENT_GROUP

    officer = user_factory(username="dsi.live")
    officer.groups.add(Group.objects.get(name=DSI_EQUIPMENT_GROUP))
    return officer


@pytest.mark.django_db(transaction=True)
async def test_a_new_application_reaches_the_queue_of_its_unit_live(org, types, dsi_officer):
    hr_socket, connected, _ = await connect_socket(org["hr"])
    dsi_socket, connected_too, _ = await connect_socket(dsi_officer)
    assert connected and connected_too
    assert (await hr_socket.receive_json_from(timeout=5))["type"] == "hello"
    assert (await dsi_socket.receive_json_from(timeout=5))["type"] == "hello"
    try:
        # A certificate arrives in HR's queue: HR is told, the IT unit is not.
        cert = await sync_to_async(services.submit_certificate)(
            org["employee"], types["certificate-work"], language="fr")
        seen = await frames_until(hr_socket, {"request.queue_changed"})
        assert seen["request.queue_changed"] == {
            "id": cert.pk, "reference": cert.reference, "stage": "hr_processing"}
        assert await dsi_socket.receive_nothing(timeout=0.3)
        # An equipment request reaches the IT unit once its director approved it.
        equipment = await sync_to_async(services.submit_interservice)(
            org["employee"], types["interservice-equipment"], subject="Deux écrans")
        assert await dsi_socket.receive_nothing(timeout=0.3)
        await sync_to_async(services.decide)(equipment.pk, org["boss"], approve=True,
                                             expected_step=1)
        seen = await frames_until(dsi_socket, {"request.queue_changed"})
        assert seen["request.queue_changed"]["id"] == equipment.pk
        assert seen["request.queue_changed"]["stage"] == "review"
    finally:
        await hr_socket.disconnect()
        await dsi_socket.disconnect()
        await sync_to_async(connections.close_all)()
