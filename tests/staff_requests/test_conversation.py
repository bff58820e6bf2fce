"""The conversation of an application: text and files, internal notes (and
their files) never reaching the applicant, read receipts for both sides, live."""

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections

from requests import services
from tests.conftest import connect_socket

from .test_request_live import frames_until


def upload(name, data=b"%PDF-1.4 conversation"):
    return SimpleUploadedFile(name, data, "application/pdf")


@pytest.fixture
def certificate(org, types):
    return services.submit_certificate(org["employee"], types["certificate-work"],
                                       language="fr", purpose="Banque")


@pytest.mark.django_db
def test_files_in_messages_and_notes_reach_only_those_who_may_see_them(
        certificate, org, client_for):
    pk = certificate.pk
    applicant, officer = client_for(org["employee"]), client_for(org["hr"])
    answer = applicant.post(f"/requests/{pk}/messages/",
                            {"body": "Voici mon RIB", "attachments": [upload("rib.pdf")]})
    assert answer.status_code == 302
    officer.post(f"/requests/{pk}/messages/", {"body": "", "internal": "on",
                                               "attachments": [upload("avis-interne.pdf")]})
    mine, note = (m.attachments.get() for m in certificate.messages.order_by("pk"))
    applicant_page = applicant.get(f"/requests/{pk}/").content.decode()
    officer_page = officer.get(f"/requests/{pk}/").content.decode()
    assert "rib.pdf" in applicant_page and "avis-interne.pdf" not in applicant_page
    assert "rib.pdf" in officer_page and "avis-interne.pdf" in officer_page
    assert officer.get(f"/requests/{pk}/attachments/{mine.pk}/").status_code == 200
    assert officer.get(f"/requests/{pk}/attachments/{note.pk}/").status_code == 200
    assert applicant.get(f"/requests/{pk}/attachments/{mine.pk}/").status_code == 200
    # The note's file is as unknown to the applicant as a missing one.
    hidden = applicant.get(f"/requests/{pk}/attachments/{note.pk}/")
    missing = applicant.get(f"/requests/{pk}/attachments/{note.pk + 1000}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    # Conversation files are not the application's own attachments.
    assert list(certificate.documents.all()) == []
    # A message needs text or a file; a file the store refuses leaves nothing.
    applicant.post(f"/requests/{pk}/messages/", {"body": "  "})
    assert certificate.messages.count() == 2


@pytest.mark.django_db
def test_each_side_sees_up_to_when_the_other_read(certificate, org, client_for):
    pk = certificate.pk
    applicant, officer = client_for(org["employee"]), client_for(org["hr"])
    officer.post(f"/requests/{pk}/messages/", {"body": "Quelle banque ?"})
    officer_page = officer.get(f"/requests/{pk}/").content.decode()
    assert 'data-testid="read-receipt"' not in officer_page  # the applicant has not looked
    applicant_page = applicant.get(f"/requests/{pk}/").content.decode()
    assert 'data-testid="read-receipt"' in applicant_page
    assert "ministère a lu" in applicant_page  # the officer read it (they wrote it)
    officer_page = officer.get(f"/requests/{pk}/").content.decode()
    assert 'data-testid="read-receipt"' in officer_page


@pytest.mark.django_db(transaction=True)
async def test_messages_and_receipts_arrive_live_on_both_sides(certificate, org, client_for):
    applicant_socket, connected, _ = await connect_socket(org["employee"])
    officer_socket, connected_too, _ = await connect_socket(org["hr"])
    assert connected and connected_too
    await applicant_socket.receive_json_from(timeout=5)  # hello
    await officer_socket.receive_json_from(timeout=5)
    try:
        await sync_to_async(services.post_message)(
            certificate.pk, org["hr"], "Un justificatif ?", uploads=[upload("modele.pdf")])
        seen = await frames_until(applicant_socket, {"request.message"})
        html = seen["request.message"]["html"]
        assert "Un justificatif ?" in html and "modele.pdf" in html
        await sync_to_async(services.post_message)(certificate.pk, org["hr"], "Note secrète",
                                                   internal=True)
        seen = await frames_until(officer_socket, {"request.message"})
        while "Note secrète" not in seen["request.message"]["html"]:
            seen = await frames_until(officer_socket, {"request.message"})
        assert await applicant_socket.receive_nothing(timeout=0.3)
        # The applicant opens the page: the officer's page learns it at once.
        applicant = await sync_to_async(client_for)(org["employee"])
        page = await sync_to_async(applicant.get)(f"/requests/{certificate.pk}/")
        assert page.status_code == 200
        seen = await frames_until(officer_socket, {"request.message"})
        assert 'data-testid="read-receipt"' in seen["request.message"]["html"]
    finally:
        await applicant_socket.disconnect()
        await officer_socket.disconnect()
        await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_the_applying_director_never_gets_an_internal_note_live(org, types, user_factory):
    """The applying directorate's director approved its first step (so takes part
    as a decider) but speaks for the applicant: notes stay with the officers."""
    from django.contrib.auth.models import Group

    from requests.defaults import DSI_EQUIPMENT_GROUP

    officer = await sync_to_async(user_factory)(username="dsi.notes")
    await sync_to_async(officer.groups.add)(
        await sync_to_async(Group.objects.get)(name=DSI_EQUIPMENT_GROUP))
    req = await sync_to_async(services.submit_interservice)(
        org["employee"], types["interservice-equipment"], subject="Un serveur")
    await sync_to_async(services.decide)(req.pk, org["boss"], approve=True, expected_step=1)
    boss_socket, connected, _ = await connect_socket(org["boss"])
    officer_socket, connected_too, _ = await connect_socket(officer)
    assert connected and connected_too
    await boss_socket.receive_json_from(timeout=5)
    await officer_socket.receive_json_from(timeout=5)
    try:
        await sync_to_async(services.post_message)(req.pk, officer, "Budget serré",
                                                   internal=True)
        seen = await frames_until(officer_socket, {"request.message"})
        assert "Budget serré" in seen["request.message"]["html"]
        assert await boss_socket.receive_nothing(timeout=0.5)
        await sync_to_async(services.post_message)(req.pk, officer, "Quel modèle ?")
        seen = await frames_until(boss_socket, {"request.message"})
        html = seen["request.message"]["html"]
        assert "Quel modèle ?" in html and "Budget serré" not in html
    finally:
        await boss_socket.disconnect()
        await officer_socket.disconnect()
        await sync_to_async(connections.close_all)()
