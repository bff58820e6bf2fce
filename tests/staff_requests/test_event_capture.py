"""The request engine's live events, captured through the harness (collab.testing)."""

import datetime

from collab import events
from collab.testing import capture_events
from requests import services

from .conftest import next_monday


def test_a_leave_request_decided_tells_the_requester(org, types):
    monday = next_monday(2)
    req = services.submit_leave(org["employee"], types["leave-annual"], start=monday,
                                end=monday + datetime.timedelta(days=2))
    with capture_events() as captured:
        services.decide(req.pk, org["director"], approve=True, comment="Accordé")
    update = captured.assert_published(events.REQUEST_UPDATED, to=org["employee"].pk, id=req.pk,
                                       stage="completed")
    assert "Accordé" in update["html"]
    assert captured.recipients(events.REQUEST_UPDATED) == {str(org["employee"].pk)}


def test_a_certificate_reaches_its_queue_and_its_conversation_both_sides(org, types):
    with capture_events() as captured:
        cert = services.submit_certificate(org["employee"], types["certificate-work"],
                                           language="fr")
    captured.assert_published(events.REQUEST_QUEUE_CHANGED, to=org["hr"].pk, id=cert.pk,
                              reference=cert.reference, stage="hr_processing")

    with capture_events() as captured:
        services.post_message(cert.pk, org["hr"], "Un justificatif ?")
    assert "Un justificatif ?" in captured.assert_published(
        events.REQUEST_MESSAGE, to=org["employee"].pk, id=cert.pk)["html"]

    with capture_events() as captured:
        services.post_message(cert.pk, org["hr"], "Note interne", internal=True)
    # An internal note reaches officers only.
    assert str(org["employee"].pk) not in captured.recipients(events.REQUEST_MESSAGE)
    captured.assert_published(events.REQUEST_MESSAGE, to=org["hr"].pk, id=cert.pk)
