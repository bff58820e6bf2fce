"""Two-factor sign-in with an authenticator app (TOTP), through the real pages.

The test plays the authenticator app: it reads the key from the enrolment page,
as a person types or scans it, and computes the codes with django-otp's TOTP.
"""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import connect_socket

PASSWORD = "Secret-pass-123"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def required_roles(settings):
    settings.OTP_REQUIRED_ROLES = ["administrator", "auditor", "communication_officer"]


def sign_in(username, language="fr"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def code(secret: str, drift: int = 0) -> str:
    totp = TOTP(b32decode(secret), step=30, t0=0, digits=6)
    totp.time = time.time() + drift * 30
    return f"{totp.token():06d}"


def next_code(secret: str, user) -> str:
    """The app's code for the step after the last one used (a used code is never taken twice)."""
    last_t = TOTPDevice.objects.get(user=user, confirmed=True).last_t
    totp = TOTP(b32decode(secret), step=30, t0=0, digits=6)
    totp.time = (max(last_t + 1, int(time.time()) // 30)) * 30
    return f"{totp.token():06d}"


def enrol(client) -> str:
    page = client.get(reverse("otp_setup")).content.decode()
    return re.search(r'class="otp-secret">([A-Z2-7]+)<', page).group(1)


@pytest.mark.parametrize("role", ["administrator", "auditor", "communication_officer"])
def test_a_role_that_requires_it_must_enrol_before_any_page(user_factory, role):
    chief = user_factory(username="chief", role=role, preferred_language="fr")
    client = sign_in("chief")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp_setup"))
    assert client.get("/admin/").status_code == 302

    secret = enrol(client)
    response = client.post(reverse("otp_setup"), {"token": "000000" if code(secret) != "000000"
                                                  else "111111"})
    assert "Ce code n’est pas valide" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # still not through
    time.sleep(1.2)  # django-otp refuses any code for 1 s after a wrong one (throttling)

    response = client.post(reverse("otp_setup"), {"token": code(secret), "next": "/directory/"})
    assert response["Location"] == "/directory/"
    assert client.get(reverse("home")).status_code == 200

    # The next sign-in asks for the current code, and only that.
    type(chief).objects.filter(pk=chief.pk).update(preferred_language="ar")
    client = sign_in("chief", language="ar")
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("otp_verify"))
    response = client.post(reverse("otp_verify"), {"token": code(secret, drift=-10)})
    assert "هذا الرمز غير صالح" in response.content.decode()
    time.sleep(1.2)
    response = client.post(reverse("otp_verify"), {"token": next_code(secret, chief)})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_optional_for_staff_and_asked_once_they_enrol(user_factory):
    agent = user_factory(username="agent", role="staff")
    client = sign_in("agent")
    assert client.get(reverse("home")).status_code == 200  # no code asked

    secret = enrol(client)
    client.post(reverse("otp_setup"), {"token": code(secret)})
    client = sign_in("agent")
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_verify"))
    client.post(reverse("otp_verify"), {"token": next_code(secret, agent)})
    assert client.get(reverse("home")).status_code == 200


def test_a_superuser_counts_as_an_administrator(user_factory):
    user_factory(username="root", role="staff", is_superuser=True, is_staff=True)
    client = sign_in("root")
    assert client.get("/admin/")["Location"].startswith(reverse("otp_setup"))


def test_the_code_page_does_not_redirect_elsewhere(user_factory):
    user_factory(username="chief", role="administrator")
    client = sign_in("chief")
    secret = enrol(client)
    response = client.post(reverse("otp_setup"),
                           {"token": code(secret), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


@pytest.mark.django_db(transaction=True)
async def test_no_socket_before_the_code(user_factory):
    await sync_to_async(user_factory)(username="chief", role="auditor")
    client = await sync_to_async(sign_in)("chief")
    user = await sync_to_async(lambda: type_of_user().objects.get(username="chief"))()

    socket, connected, code_ = await connect_socket(
        user, session_key=client.cookies["sessionid"].value)
    assert (connected, code_) == (False, 4401)

    secret = await sync_to_async(enrol)(client)
    response = await sync_to_async(client.post)(reverse("otp_setup"), {"token": code(secret)})
    assert response.status_code == 302
    socket, connected, code_ = await connect_socket(
        user, session_key=client.cookies["sessionid"].value)
    assert connected, code_
    await socket.disconnect()


def type_of_user():
    from django.contrib.auth import get_user_model

    return get_user_model()
