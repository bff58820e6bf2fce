"""Single sign-on with OpenID Connect, against a real provider process.

django-oidc-provider runs as its own Django project (tests/oidc_provider/) on a
free port, outside our sys.path. Each sign-in is the real flow: our sign-in
URL, the provider's authorize endpoint and login form (driven with httpx), back
to our callback with the code, which collab exchanges (PKCE) and checks. The
provider's "mallory-*" accounts answer tokens a relying party must refuse.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from collab import oidc
from collab.models import AuditEntry, Directorate, User
from collab.oidc_config import oidc_settings
from tests import multiproc

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
sys.path.insert(0, str(PROVIDER_DIR))  # provider_seed only: names and secrets
import provider_seed  # noqa: E402

sys.path.remove(str(PROVIDER_DIR))

CALLBACK = "http://testserver/login/sso/callback/"
AFTER_LOGOUT = "http://testserver/login/"


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    data = tmp_path_factory.mktemp("oidc-provider")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE")}
    # cwd outside the repository: its requests/ app must not shadow anything there.
    process = subprocess.Popen(
        [sys.executable, str(PROVIDER_DIR / "serve.py"), str(data), CALLBACK, AFTER_LOGOUT],
        cwd=data, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline().strip()
    if not line.isdigit():
        multiproc.stop_process(process)
        raise RuntimeError(f"OIDC provider did not start: {line} {process.stderr.read()[-3000:]}")
    yield f"http://127.0.0.1:{line}/openid"
    multiproc.stop_process(process)


ENV = {
    "OIDC_CLIENT_ID": provider_seed.CLIENT_ID,
    "OIDC_CLIENT_SECRET": provider_seed.CLIENT_SECRET,
    "OIDC_SCOPES": "openid profile email groups ministry",
    "OIDC_CLAIM_MAP": "full_name_ar=name_ar;job_title=job_title;employee_number=employee_number",
    "OIDC_ROLE_GROUPS": ("administrator=collab-admins;hr_officer=collab-hr;"
                         "trainer=collab-trainers;press_officer=collab-press"),
    "OIDC_DIRECTORATE_CLAIM": "department",
    "OIDC_DISPLAY_NAME": "Keycloak",
}


@pytest.fixture
def sso(provider, settings, db):
    settings.COLLAB_OIDC = oidc_settings({"OIDC_ISSUER": provider, **ENV})
    oidc.forget_provider()
    Directorate.objects.create(code="drh", name_ar="مديرية الموارد البشرية",
                               name_fr="Direction des ressources humaines", kind="central")
    yield provider
    oidc.forget_provider()


def at_provider(browser: httpx.Client, url: str, username: str) -> str:
    """Follows the provider's pages, signing in as ``username``; returns our callback URL."""
    for _ in range(6):
        response = browser.get(url)
        assert response.status_code in (200, 302), response.text[:500]
        if response.status_code == 200:  # the provider's sign-in form
            response = browser.post(url, data={
                "username": username, "password": provider_seed.PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": parse_qs(urlsplit(url).query)["next"][0],
            })
            assert response.status_code == 302, response.text[:500]
        url = str(httpx.URL(url).join(response.headers["location"]))
        if url.startswith(CALLBACK):
            return url
    raise AssertionError("the provider never sent the browser back")


def sign_in(username: str, *, language="fr", next_url="", before_callback=None):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    start = reverse("sso_start") + (f"?next={next_url}" if next_url else "")
    response = client.get(start)
    assert response.status_code == 302, response.content[:500]
    authorize = response["Location"]
    browser = httpx.Client(timeout=10)
    callback = at_provider(browser, authorize, username)
    if before_callback:
        callback = before_callback(client, callback)
    parts = urlsplit(callback)
    return client, client.get(parts.path, parse_qs(parts.query)), authorize, browser


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_off_when_no_issuer_is_set(client, settings, db):
    settings.COLLAB_OIDC = oidc_settings({})
    assert client.get(reverse("sso_start")).status_code == 404
    assert client.get(reverse("sso_callback")).status_code == 404
    assert reverse("sso_start") not in client.get(reverse("login")).content.decode()


def test_first_sign_in_creates_the_person_from_the_claims(sso, settings):
    settings.OTP_REQUIRED_ROLES = ["administrator", "auditor", "press_officer"]
    page = Client(HTTP_ACCEPT_LANGUAGE="fr").get(reverse("login")).content.decode()
    assert "Se connecter avec Keycloak" in page

    client, response, authorize, _ = sign_in("nadia", next_url="/directory/")
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    assert (response.status_code, response["Location"]) == (302, "/directory/")

    nadia = signed_in_user(client)
    assert nadia.username == "nadia"
    assert (nadia.first_name, nadia.last_name, nadia.full_name_ar) == (
        "Nadia", "Chraibi", "نادية الشرايبي")
    assert (nadia.email, nadia.job_title, nadia.employee_number) == (
        "nadia@ministry.ma", "Cheffe de division", "MC-2044")
    assert nadia.role == User.Role.HR_OFFICER and nadia.directorate.code == "drh"
    assert nadia.sso_subject and not nadia.has_usable_password()
    assert AuditEntry.objects.get(action=AuditEntry.Action.SIGN_IN, actor=nadia).detail == {
        "method": "oidc"}

    # Groups map to the new roles too; a second sign-in finds the same person.
    assert signed_in_user(sign_in("youssef")[0]).role == User.Role.TRAINER
    client = sign_in("hind")[0]
    assert signed_in_user(client).role == User.Role.PRESS_OFFICER
    # Single sign-on does not skip the second factor press officers need.
    assert client.get(reverse("home"))["Location"].startswith(reverse("otp_setup"))
    User.objects.filter(pk=nadia.pk).update(username="nadia.renamed", job_title="")
    again = signed_in_user(sign_in("nadia")[0])
    assert again.pk == nadia.pk and again.job_title == "Cheffe de division"


def _refused(response, client, reason, claimed=""):
    assert response.status_code == 400
    assert signed_in_user(client) is None
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.SIGN_IN_FAILED).latest("pk")
    assert entry.detail == {"method": "oidc", "reason": reason}
    assert entry.username == claimed
    return response.content.decode()


@pytest.mark.parametrize(("username", "reason"), [
    ("mallory-sig", "signature"),  # claims changed after signing (groups -> administrators)
    ("mallory-iss", "issuer"),
    ("mallory-aud", "audience"),
    ("mallory-nonce", "nonce"),
    ("mallory-expired", "expired"),
])
def test_a_token_that_cannot_be_trusted_is_refused_and_audited(sso, username, reason):
    client, response, _, _ = sign_in(username)
    page = _refused(response, client, reason, claimed=username)
    assert "l’authentification unique a échoué" in page.lower()
    assert not User.objects.filter(username=username).exists()


def test_a_wrong_state_or_a_replayed_callback_is_refused_and_audited(sso):
    def wrong_state(client, callback):
        return re.sub(r"state=[^&]+", "state=forged", callback)

    client, response, _, _ = sign_in("nadia", before_callback=wrong_state)
    _refused(response, client, "state")

    # The person said no at the provider (or it failed): refused, said so, audited.
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    state = parse_qs(urlsplit(client.get(reverse("sso_start"))["Location"]).query)["state"][0]
    response = client.get(reverse("sso_callback"), {"error": "access_denied", "state": state})
    assert "ne vous a pas connecté" in _refused(response, client, "provider_error")

    kept = {}

    def keep(client, callback):
        kept["url"] = callback
        return callback

    client, response, _, _ = sign_in("nadia", before_callback=keep)
    assert signed_in_user(client).username == "nadia"
    parts = urlsplit(kept["url"])
    replay = Client()
    _refused(replay.get(parts.path, parse_qs(parts.query)), replay, "state")


def test_the_provider_checks_the_pkce_verifier(sso):
    def other_verifier(client, callback):
        session = client.session
        flow = session[oidc.SESSION_FLOW]
        flow["verifier"] = "x" * 64
        session[oidc.SESSION_FLOW] = flow
        session.save()
        return callback

    client, response, _, _ = sign_in("nadia", before_callback=other_verifier)
    _refused(response, client, "token_endpoint:invalid_grant")
    assert not User.objects.filter(username="nadia").exists()


def test_a_local_account_is_never_taken_over_and_still_signs_in(sso, user_factory):
    user_factory(username="breakglass", role="administrator", password="Local-admin-pass-1")
    client, response, _, _ = sign_in("breakglass", language="ar")
    _refused(response, client, "local_account", claimed="breakglass")
    assert "بكلمة المرور" in response.content.decode()
    local = User.objects.get(username="breakglass")
    assert local.sso_subject is None and local.first_name != "Not"

    response = Client().post(reverse("login"), {"username": "breakglass",
                                                "password": "Local-admin-pass-1"})
    assert (response.status_code, response["Location"]) == (302, reverse("home"))


def test_an_inactive_account_is_refused(sso):
    sign_in("youssef")
    User.objects.filter(username="youssef").update(is_active=False)
    client, response, _, _ = sign_in("youssef")
    assert "Ce compte est inactif" in _refused(response, client, "inactive", claimed="youssef")


def test_sign_out_ends_the_session_at_the_provider_too(sso):
    client, response, _, browser = sign_in("nadia")
    assert signed_in_user(client) is not None
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == (
        f"{sso}/end-session")
    assert parse_qs(end_session.query)["post_logout_redirect_uri"] == [AFTER_LOGOUT]
    assert signed_in_user(client) is None

    # The provider ends its own session and sends the browser back to us...
    answer = browser.get(response["Location"])
    assert (answer.status_code, answer.headers["location"]) == (302, AFTER_LOGOUT)
    # ...so the next single sign-on asks for the password again.
    authorize = Client().get(reverse("sso_start"))["Location"]
    assert "/accounts/login/" in browser.get(authorize).headers["location"]


def test_provider_down_gives_a_clear_error_and_passwords_still_work(
        sso, settings, user_factory):
    port = multiproc.free_port()  # nothing listens there
    settings.COLLAB_OIDC = {**settings.COLLAB_OIDC, "issuer": f"http://127.0.0.1:{port}/openid"}
    oidc.forget_provider()
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    response = client.get(reverse("sso_start"))
    assert response.status_code == 503
    assert "Le fournisseur d’identité est injoignable" in response.content.decode()

    user_factory(username="breakglass", role="administrator", password="Local-admin-pass-1")
    response = client.post(reverse("login"), {"username": "breakglass",
                                              "password": "Local-admin-pass-1"})
    assert (response.status_code, response["Location"]) == (302, reverse("home"))


@pytest.mark.parametrize(("env", "message"), [
    ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET are required"),
    ({"OIDC_ROLE_GROUPS": "chief=collab-chiefs"}, "unknown role 'chief'"),
    ({"OIDC_CLAIM_MAP": "salary=salary"}, "unknown field(s) salary"),
    ({"OIDC_CLAIM_MAP": "email"}, "expected key=value"),
])
def test_a_wrong_configuration_stops_the_start_and_says_why(env, message):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        oidc_settings({"OIDC_ISSUER": "https://sso.example.gov.ma/realms/m", **ENV, **env})
