"""Company verification on the engine: the press office decides it in the
engine's back office; the company's status follows; the company corrects."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from press.models import Company
from press.services import verification_request
from tests.press.conftest import pdf
from tests.press.test_registration import registration


def _registered(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("press:register"), registration()).status_code == 302
    company = Company.objects.get()
    user = company.members.get().user
    user.is_active = True
    user.save()
    return company, user


def test_returned_corrected_then_approved(db, file_store, smtp_server, press_officer,
                                         client_for, django_capture_on_commit_callbacks):
    company, user = _registered(Client(), django_capture_on_commit_callbacks)
    request = verification_request(company)
    statutes_line = request.request_type.documents.get(position=1)
    officer = client_for(press_officer)
    smtp_server.clear()

    # The press office returns it: the statutes are incorrect.
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(reverse("requests:return", args=[request.pk]), {
            "incorrect": [statutes_line.pk], "text": "Statuts non signés",
            "step": request.step_position})
    assert response.status_code in (200, 302), response.content.decode()[:500]
    company.refresh_from_db()
    assert company.status == Company.Status.RETURNED
    [message] = smtp_server.messages
    assert message["To"] == company.email or company.email in message["To"]
    assert "correction" in message["Subject"]  # the company's language: French

    # The company answers from its own page with new statutes.
    applicant = Client()
    applicant.force_login(user)
    page = applicant.get(reverse("press:company"))
    assert "Statuts non signés" in page.content.decode()
    response = applicant.post(reverse("press:company"), {
        "comment": "Statuts signés joints", "statutes": pdf("statuts-signes.pdf")})
    assert response.status_code == 302, response.context["form"].errors
    company.refresh_from_db()
    assert company.status == Company.Status.PENDING
    request.refresh_from_db()
    assert request.stage == "review"

    # The press office approves: the company is verified.
    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(reverse("requests:decide_step",
                                        args=[request.pk, request.step_position]),
                                {"decision": "approve"})
    assert response.status_code in (200, 302)
    company.refresh_from_db()
    assert company.status == Company.Status.VERIFIED
    assert "vérifiée" in smtp_server.messages[0]["Subject"]


def test_a_filer_cannot_answer_the_correction_and_staff_cannot_decide(
        db, file_store, smtp_server, user, client_for, member_factory,
        django_capture_on_commit_callbacks):
    company, _user = _registered(Client(), django_capture_on_commit_callbacks)
    request = verification_request(company)
    response = client_for(user).post(
        reverse("requests:decide_step", args=[request.pk, request.step_position]),
        {"decision": "approve"})
    assert response.status_code == 404
    company.refresh_from_db()
    assert company.status == Company.Status.PENDING
    filer = member_factory(company=company, role="filer")
    assert client_for(filer).post(reverse("press:company"), {"comment": "x"}).status_code == 404
