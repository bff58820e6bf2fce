"""Decision letters: issued at the decision, PDF with a code and a QR code,
and one public verification page for every document the ministry issues."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from requests import services
from requests.models import IssuedDocument
from tests.pdfs import qr_targets

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
    assert qr_targets(answer.content) == [f"http://127.0.0.1:8000/verify/{document.code}/"]
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
    settings.COLLAB_PUBLIC_URL = "https://intranet.example.gov.ma"
    document = IssuedDocument.objects.get(request=decided)
    answer = client_for(org["employee"]).get(f"/requests/{decided.pk}/decision.pdf")
    assert qr_targets(answer.content) == [
        f"https://intranet.example.gov.ma/verify/{document.code}/"]


def test_a_leave_decision_is_worded_for_the_person_and_counts_its_days(org, types):
    import datetime

    from django.utils import translation

    from requests import documents
    from requests.leave import working_days
    from tests.staff_requests.conftest import next_monday

    employee = org["employee"]
    employee.gender, employee.preferred_language = "female", "ar"
    employee.full_name_ar, employee.job_title_ar = "سلمى بنعلي", "مهندسة دولة"
    employee.save()
    start = next_monday(2)
    end = start + datetime.timedelta(days=4)
    req = services.submit_leave(employee, types["leave-annual"], start=start, end=end)
    services.decide(req.pk, org["director"], approve=True)
    document = IssuedDocument.objects.get(request=req)
    text = " ".join(pdf_text(documents.decision_pdf(document)).split())
    days = working_days(start, end)
    assert days == 5
    for expected in ("قرار رخصة", "السيدة", "سلمى بنعلي", "مهندسة دولة", "تُمنح المعنية بالأمر",
                     "أيام", start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"),
                     f"/verify/{document.code}/"):
        assert expected in text, expected
    assert "Ingénieur" not in text and "(ة)" not in text
    # A profile without the gender: the letter is not printed, what is missing is named.
    employee.gender = ""
    employee.save()
    document.statement = {**document.statement,
                          "leave": {**document.statement["leave"], "missing": ["gender"]}}
    document.save()
    with translation.override("en"), pytest.raises(Exception, match="gender"):
        documents.decision_pdf(document)


def pdf_text(data: bytes) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
