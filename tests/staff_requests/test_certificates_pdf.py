"""Certificates: HR issues, PDF in Arabic and French with the right text, public verification."""

import io
import unicodedata

import pytest
from django.test import Client
from pypdf import PdfReader

from requests import certificates, services
from requests.models import Stage
from requests.workflow import WorkflowError

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """Extracted text with Arabic presentation forms folded back to letters."""
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", text)


def issue(org, types, code, language, **extra):
    req = services.submit_certificate(org["employee"], types[code], language=language,
                                      purpose=extra.pop("purpose", ""), copies=2)
    assert req.stage == Stage.HR_PROCESSING
    services.decide(req.pk, org["hr"], approve=True, extra=extra)
    req.refresh_from_db()
    assert req.stage == Stage.COMPLETED
    return req.certificate


def test_arabic_work_certificate_pdf_states_the_right_text(org, types, client_for):
    org["directorate"].name_ar = "مديرية نظم المعلومات"
    org["directorate"].save()
    cert = issue(org, types, "certificate-work", "ar", purpose="ملف إداري")
    assert cert.reference_number.startswith("AT-")
    response = client_for(org["employee"]).get(f"/requests/{cert.request_id}/certificate.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ("شهادة العمل", "تشهد وزارة التواصل", "كريم بنعلي", "ملف إداري",
                     "رمز التحقق", cert.verification_code, cert.reference_number):
        assert expected in text, expected
    # The directorate's name may wrap onto the next line: every word is there.
    words = set(text.replace("ـ", " ").split())
    assert {"مديرية", "نظم", "المعلومات"} <= {w.strip(".،") for w in words}
    # Shaped: the PDF draws contextual forms (presentation forms), not isolated letters.
    raw = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert any("\ufe70" <= ch <= "\ufeff" for ch in raw)
    assert "ATTESTATION" not in text


def test_french_salary_certificate_pdf_states_the_salary(org, types, client_for):
    org["directorate"].name_fr = "Direction des systèmes d'information"
    org["directorate"].save()
    cert = issue(org, types, "certificate-salary", "fr", salary="12 500,50".replace(" ", ""))
    text = " ".join(pdf_text(certificates.certificate_pdf(cert)).split())  # lines joined
    for expected in ("ATTESTATION DE SALAIRE", "Karim Benali", "Ingénieur d'État",
                     "Direction des systèmes d'information", "12500.50 dirhams",
                     cert.verification_code, cert.reference_number):
        assert expected in text, expected
    assert cert.reference_number.startswith("AS-")


def test_salary_certificate_needs_the_salary(org, types):
    req = services.submit_certificate(org["employee"], types["certificate-salary"], language="fr")
    with pytest.raises(WorkflowError, match="salary"):
        services.decide(req.pk, org["hr"], approve=True, extra={})
    req.refresh_from_db()
    assert req.stage == Stage.HR_PROCESSING and req.certificate.verification_code == ""


def test_verification_code_checks_out_on_the_public_page(org, types):
    cert = issue(org, types, "certificate-work", "fr")
    anonymous = Client()
    page = anonymous.get(f"/requests/verify/{cert.verification_code}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "ATTESTATION DE TRAVAIL" in body and "Karim Benali" in body
    assert cert.reference_number in body
    # Lower case and without dashes works too, through the form.
    loose = cert.verification_code.replace("-", "").lower()
    assert "Karim Benali" in anonymous.get("/requests/verify/", {"code": loose}).content.decode()
    # Only what the certificate states: no purpose of other requests, no e-mail, no username.
    assert org["employee"].username not in body


def test_a_wrong_code_is_refused(org, types):
    issue(org, types, "certificate-work", "ar")
    page = Client().get("/requests/verify/AAAA-BBBB-CCCC-DDDD/")
    assert page.status_code == 200
    assert 'data-testid="not-verified"' in page.content.decode()
    assert 'data-testid="verified"' not in page.content.decode()


def test_pdf_is_for_the_requester_and_hr_only(org, types, client_for):
    cert = issue(org, types, "certificate-work", "fr")
    url = f"/requests/{cert.request_id}/certificate.pdf"
    assert client_for(org["hr"]).get(url).status_code == 200
    assert client_for(org["outsider"]).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page
