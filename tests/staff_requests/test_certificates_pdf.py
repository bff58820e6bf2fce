"""Certificates: HR issues, PDF in Arabic and French worded from data (gender,
job title in the certificate's language), absolute verification URL and QR
code, public verification; a profile lacking data is named, not printed."""

import io
import unicodedata

import pytest
from django.test import Client
from django.utils import timezone, translation
from pypdf import PdfReader

from collab.documents import hijri_date
from requests import certificates, services
from requests.models import Request, Stage
from requests.workflow import WorkflowError
from tests.pdfs import qr_targets

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """Extracted text with Arabic presentation forms folded back to letters."""
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", text)


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


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
    url = f"http://127.0.0.1:8000/verify/{cert.verification_code}/"
    for expected in ("شهادة العمل", "تشهد وزارة التواصل أن السيد", "كريم بنعلي", "مهندس دولة",
                     "يزاول مهامه", "للمعني بالأمر بطلب منه", "ملف إداري", "رمز التحقق",
                     "المملكة المغربية", "سعاد العلوي", "مكلفة بالموارد البشرية",
                     today(), hijri_date(timezone.localdate(), "ar").split()[-2],
                     cert.verification_code, cert.reference_number, url):
        assert expected in text, expected
    # The directorate's name may wrap onto the next line: every word is there.
    words = set(text.replace("ـ", " ").split())
    assert {"مديرية", "نظم", "المعلومات"} <= {w.strip(".،") for w in words}
    # Grammar from data: no slashes, no French inside the Arabic text.
    for wrong in ("/السيدة", "السيد(ة)", "يزاول/تزاول", "Ingénieur", "ATTESTATION"):
        assert wrong not in text, wrong
    assert qr_targets(response.content) == [url]


def test_french_salary_certificate_for_a_woman(org, types):
    org["directorate"].name_fr = "Direction des systèmes d'information"
    org["directorate"].save()
    employee = org["employee"]
    employee.first_name, employee.gender = "Salma", "female"
    employee.job_title = "Ingénieure d'État"
    employee.save()
    cert = issue(org, types, "certificate-salary", "fr", salary="12500,50")
    pdf = certificates.certificate_pdf(cert)
    text = " ".join(pdf_text(pdf).split())  # lines joined
    for expected in ("ATTESTATION DE SALAIRE", "atteste que Madame Salma Benali",
                     "Ingénieure d'État", "Direction des systèmes d'information",
                     "L'intéressée perçoit", "12 500,50 dirhams", "délivrée à l'intéressée",
                     "Fait à Rabat, le " + today(), "Souad Alaoui",
                     "Chargée des ressources humaines",
                     cert.verification_code, cert.reference_number):
        assert expected in text.replace("\u202f", " "), expected
    assert "M./Mme" not in text and "(e)" not in text
    assert cert.reference_number.startswith("AS-")
    assert qr_targets(pdf) == [f"http://127.0.0.1:8000/verify/{cert.verification_code}/"]


def test_a_profile_without_gender_or_arabic_title_is_named_not_printed(org, types, client_for):
    employee = org["employee"]
    employee.gender, employee.job_title_ar = "", ""
    employee.save()
    with translation.override("en"), pytest.raises(WorkflowError) as refused:
        services.submit_certificate(employee, types["certificate-work"], language="ar")
    assert "gender" in refused.value.message and "job title in Arabic" in refused.value.message
    assert not Request.objects.exists()
    # Through the page: the message, in the user's language, beside the form.
    page = client_for(employee).post(f"/requests/new/{types['certificate-work'].code}/",
                                     {"language": "ar", "copies": 1}, follow=True)
    body = page.content.decode()
    assert "genre" in body and "fonction en arabe" in body
    assert not Request.objects.exists()


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
