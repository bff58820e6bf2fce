"""Decision letters: issued at the decision, PDF with a code and a QR code,
and one public verification page for every document the ministry issues."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from requests import services
from requests.models import IssuedDocument

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(org, types, user_factory):
    from django.contrib.auth.models import Group

    from requests.defaults import DSI_EQUIPMENT_GROUP

    officer = user_factory(username="dsi.officer")
    officer.groups.add(Group.objects.get(name=DSI_EQUIPMENT_GROUP))
    req = services.submit_interservice(org["employee"], types["interservice-equipment"],
                                       subject="Deux ordinateurs")
    services.decide(req.pk, org["boss"], approve=True, expected_step=1)
    services.decide(req.pk, officer, approve=True, expected_step=2)
    return req


def test_a_decision_issues_one_letter_in_the_applicants_language(decided):
    document = IssuedDocument.objects.get(request=decided)
    assert document.kind == "decision" and document.language == "fr"
    assert document.statement["approved"] is True
    assert document.statement["reference"] == decided.reference


def test_the_letter_pdf_carries_its_code_and_is_only_for_those_who_see_it(decided, org,
                                                                          client_for):
    document = IssuedDocument.objects.get(request=decided)
    answer = client_for(org["employee"]).get(f"/requests/{decided.pk}/decision.pdf")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(answer.content))
    text = reader.pages[0].extract_text()
    assert "DÉCISION" in text and document.code in text
    assert f"/verify/{document.code}/" in text
    # The QR code is drawn as vector paths: the page holds many filled squares.
    assert reader.pages[0].get_contents().get_data().count(b" re") > 100
    assert client_for(org["outsider"]).get(
        f"/requests/{decided.pk}/decision.pdf").status_code == 404


def test_one_public_page_verifies_decisions_and_certificates(decided, org, types):
    document = IssuedDocument.objects.get(request=decided)
    anonymous = Client()
    page = anonymous.get(f"/verify/{document.code}/").content.decode()
    assert 'data-testid="verified"' in page and decided.reference in page
    cert = services.submit_certificate(org["employee"], types["certificate-work"],
                                       language="fr")
    services.decide(cert.pk, org["hr"], approve=True, expected_step=1)
    cert.refresh_from_db()
    code = cert.certificate.verification_code
    page = anonymous.get(f"/verify/{code}/").content.decode()
    assert 'data-testid="verified"' in page and "Karim Benali" in page
    assert not IssuedDocument.objects.filter(request=cert).exists()
    missing = anonymous.get("/verify/AAAA-BBBB-CCCC-DDDD/").content.decode()
    assert 'data-testid="not-verified"' in missing


def test_the_letters_qr_code_reads_back_as_the_absolute_verification_url(decided, org,
                                                                        client_for, settings):
    from tests.pdfs import qr_targets

    settings.COLLAB_PUBLIC_URL = "https://intranet.example.gov.ma"
    document = IssuedDocument.objects.get(request=decided)
    answer = client_for(org["employee"]).get(f"/requests/{decided.pk}/decision.pdf")
    assert qr_targets(answer.content) == [
        f"https://intranet.example.gov.ma/verify/{document.code}/"]
