"""Registration, e-mail verification (read from a real SMTP server), sign-in,
password reset and the company's verification by the press office on the engine."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from collab.models import User
from files.models import File
from press.models import Company, CompanyMember
from requests.models import Request
from tests.press.conftest import pdf, png

PASSWORD = "Sahafa-2026-Rabat!"


def registration(**overrides):
    data = {
        "name_ar": "جريدة الأفق", "name_latin": "Al Ofok Presse", "legal_form": "sarl",
        "rc_number": "RC 12345", "ice": "001525478000083", "tax_id": "40012345",
        "cnss_number": "7654321", "medium": "electronic",
        "publications": "Al Ofok\nAl Ofok Sport\n", "address": "12 rue Oued Fès",
        "city": "Rabat", "region": "04", "legal_representative": "Nadia Alaoui",
        "full_name": "Nadia Alaoui", "email": "nadia@alofok.ma", "phone": "06 12 34 56 78",
        "language": "fr", "password1": PASSWORD, "password2": PASSWORD,
        "statutes": pdf("statuts.pdf"), "rc_extract": pdf("rc.pdf"),
    }
    data.update(overrides)
    return data


def link_in(message) -> str:
    from tests.smtp import SMTPServer

    return re.search(r"https?://\S+", SMTPServer.text_of(message)).group(0)


def test_a_company_registers_confirms_its_email_and_signs_in(
        db, file_store, smtp_server, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("press:register"), registration())
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == reverse("press:registered")

    company = Company.objects.get(ice="001525478000083")
    assert company.status == Company.Status.PENDING
    assert company.phone == "+212612345678"
    assert sorted(company.publications.values_list("title", flat=True)) == [
        "Al Ofok", "Al Ofok Sport"]
    user = User.objects.get(username="nadia@alofok.ma")
    assert user.is_external and not user.is_active and user.preferred_language == "fr"
    assert CompanyMember.objects.get(user=user).is_representative
    # Its verification is filed on the engine, with its two documents, at the press office.
    verification = Request.objects.get(applicant_organisation=company.organisation)
    assert verification.request_type.code == "press-company-verification"
    assert verification.stage == "review"
    assert verification.documents.count() == 2

    # Not before the e-mail address is confirmed.
    refused = client.post(reverse("press:login"),
                          {"username": "nadia@alofok.ma", "password": PASSWORD})
    assert refused.context["form"].errors.as_data()["__all__"][0].code == "unconfirmed"

    # The sign-in attempt sent a fresh link beside the first one.
    first, message = smtp_server.messages
    assert first["To"] == message["To"] == "nadia@alofok.ma"
    assert "Confirmez" in message["Subject"]  # in the company's language (French)
    response = client.get(urlsplit(link_in(message)).path)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active

    response = client.post(reverse("press:login"),
                           {"username": "nadia@alofok.ma", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("press:company")
    page = client.get(reverse("press:company"))
    assert "Al Ofok Presse" in page.content.decode()
    # Still kept out of the intranet.
    assert client.get(reverse("home"))["Location"] == "/press/"


@pytest.mark.parametrize("overrides, field", [
    ({"ice": "12345"}, "ice"),
    ({"phone": "+33 6 12 34 56 78"}, "phone"),
    ({"password2": "something-else-2026"}, "password2"),
    ({"password1": "12345678", "password2": "12345678"}, "password1"),
    ({"publications": "  \n "}, "publications"),
    ({"statutes": png("statuts.exe")}, None),
    ({"rc_extract": pdf("rc.html", b"<html>not a pdf</html>")}, None),
])
def test_bad_registration_is_refused_beside_the_field_and_writes_nothing(
        db, file_store, smtp_server, overrides, field):
    if "rc_extract" in overrides:
        overrides["rc_extract"].content_type = "text/html"
        field = "rc_extract"
    if "statutes" in overrides:
        overrides["statutes"].content_type = "application/x-msdownload"
        field = "statutes"
    before = (User.objects.count(), Company.objects.count(), File.objects.count(),
              Request.objects.count())
    response = Client(HTTP_ACCEPT_LANGUAGE="fr").post(reverse("press:register"),
                                                      registration(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    after = (User.objects.count(), Company.objects.count(), File.objects.count(),
             Request.objects.count())
    assert after == before
    assert smtp_server.messages == []


def test_an_email_already_used_is_refused(db, file_store, smtp_server, representative):
    response = Client().post(reverse("press:register"),
                             registration(email=representative.email.upper(),
                                          ice="001525478000099"))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_a_tampered_email_link_activates_nothing(db):
    response = Client().get(reverse("press:verify_email", args=["abc:def"]))
    assert response.status_code == 400


def test_staff_cannot_use_the_press_sign_in(user):
    response = Client().post(reverse("press:login"),
                             {"username": user.username, "password": "Secret-pass-123"})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_press_sign_in_is_throttled(settings, representative):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _attempt in range(2):
        client.post(reverse("press:login"),
                    {"username": representative.username, "password": "wrong"})
    locked = client.post(reverse("press:login"),
                         {"username": representative.username, "password": "Secret-pass-123"})
    assert locked.status_code == 429
    assert "press/locked_out.html" in [t.name for t in locked.templates]
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email_in_the_account_language(representative, smtp_server):
    representative.preferred_language = "fr"
    representative.save()
    client = Client()
    response = client.post(reverse("press:password_reset"), {"email": representative.email})
    assert response.status_code == 302
    [message] = smtp_server.messages
    assert "mot de passe" in message["Subject"]
    path = urlsplit(link_in(message)).path
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "Nouveau-mot-2026!", "new_password2": "Nouveau-mot-2026!"})
    assert done.status_code == 302
    assert client.post(reverse("press:login"), {"username": representative.username,
                                                "password": "Nouveau-mot-2026!"}).status_code == 302


def test_staff_get_no_reset_mail_from_the_press_space(user, smtp_server):
    user.email = "staff@ministere.ma"
    user.save()
    Client().post(reverse("press:password_reset"), {"email": user.email})
    assert smtp_server.messages == []
