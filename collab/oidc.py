"""Single sign-on with OpenID Connect: sign-in, the callback, sign-out.

Authorization code flow with PKCE (S256) through authlib's httpx client, never
a library importing PyPI ``requests`` (our requests/ app shadows it). The
state, nonce and code verifier live in the session until the provider sends
the person back; the ID token's signature (keys from the provider's JWKS),
issuer, audience, expiry and nonce are checked with joserfc before anyone is
signed in. A refused callback changes nothing and is written to the audit log.

The person is found by the provider's stable ``sub``, or, at their first
single sign-on, by username: an account created by the directory is linked,
a local account with its own password (the break-glass administrator) never
is. Names, e-mail, groups -> role and directorate are copied at each sign-in,
as the directory sign-in does. Settings: COLLAB_OIDC (collab/oidc_config.py).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet

from . import audit
from .directory_config import role_for
from .models import AuditEntry, Directorate, User

logger = logging.getLogger(__name__)

SESSION_FLOW = "oidc_flow"
SESSION_ID_TOKEN = "oidc_id_token"
# A sign-in left at the provider's page longer than this starts again.
FLOW_SECONDS = 600
METADATA_SECONDS = 3600
# Signed with the provider's private key only: "none" and HS256 (signed with
# our own client secret) are never accepted.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
              "ES256", "ES384", "ES512", "EdDSA"]
# Claims of the token itself, never overwritten by the userinfo answer.
PROTECTED_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "auth_time"}
BACKEND = "django.contrib.auth.backends.ModelBackend"
# authlib's httpx client runs on httpx2 when that is installed, httpx otherwise.
try:
    import httpx2

    HTTP_ERRORS: tuple = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:
    HTTP_ERRORS = (httpx.HTTPError,)

MESSAGES = {
    "untrusted": _("Single sign-on failed: the answer from the identity provider could not "
                   "be trusted. Nothing was changed. Please sign in again."),
    "provider_error": _("The identity provider did not sign you in. Please try again."),
    "inactive": _("This account is inactive."),
    "local_account": _("This account signs in with its password, not through single "
                       "sign-on."),
    "no_username": _("The identity provider did not say who you are (no username). "
                     "Please contact the IT department."),
    "unreachable": _("The identity provider cannot be reached right now. Please try again "
                     "in a few minutes, or sign in with your password if you have one."),
}


class Refused(Exception):
    """The callback is refused: nobody is signed in, and the attempt is audited."""

    def __init__(self, reason: str, message: str = "untrusted", claimed: str = ""):
        super().__init__(reason)
        self.reason, self.message, self.claimed = reason, message, claimed


class Unreachable(Exception):
    """The provider did not answer (network, timeout, 5xx): not the person's fault."""


def config() -> dict:
    return getattr(settings, "COLLAB_OIDC", None) or {}


def enabled() -> bool:
    return bool(config())


# ---- The provider's metadata and keys, cached per process ---------------------


@dataclass
class _Provider:
    metadata: dict
    keys: KeySet | None = None
    fetched: float = field(default_factory=time.monotonic)


_providers: dict[str, _Provider] = {}
_lock = threading.Lock()


def _get_json(cfg: dict, url: str) -> dict:
    try:
        response = httpx.get(url, timeout=cfg["timeout"], follow_redirects=False)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("single sign-on: %s unreadable: %s", url, error)
        raise Unreachable(url) from error


def provider(cfg: dict, *, fresh: bool = False) -> _Provider:
    issuer = cfg["issuer"]
    with _lock:
        known = _providers.get(issuer)
    if known and not fresh and time.monotonic() - known.fetched < METADATA_SECONDS:
        return known
    metadata = _get_json(cfg, f"{issuer}/.well-known/openid-configuration")
    # OpenID Connect Discovery: the document must name the issuer we asked.
    if metadata.get("issuer", "").rstrip("/") != issuer:
        logger.error("single sign-on: %s announces issuer %r", issuer, metadata.get("issuer"))
        raise Unreachable(issuer)
    known = _Provider(metadata)
    with _lock:
        _providers[issuer] = known
    return known


def _keys(cfg: dict, known: _Provider, *, fresh: bool = False) -> KeySet:
    if known.keys is None or fresh:
        known.keys = KeySet.import_key_set(_get_json(cfg, known.metadata["jwks_uri"]))
    return known.keys


def forget_provider() -> None:
    """Drops the cached metadata and keys (tests; a provider's new address)."""
    with _lock:
        _providers.clear()


# ---- The flow --------------------------------------------------------------------


def callback_uri(request) -> str:
    return request.build_absolute_uri(reverse("sso_callback"))


def _client(cfg: dict, request, known: _Provider):
    # Imported here: authlib warns at import that it would rather run on httpx2,
    # which every manage.py command would otherwise print.
    from authlib.integrations.httpx_client import OAuth2Client

    methods = known.metadata.get("token_endpoint_auth_methods_supported",
                                 ["client_secret_basic"])
    return OAuth2Client(
        client_id=cfg["client_id"], client_secret=cfg["client_secret"],
        scope=" ".join(cfg["scopes"]), redirect_uri=callback_uri(request),
        code_challenge_method="S256", timeout=cfg["timeout"],
        token_endpoint_auth_method=(
            "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"),
    )


def _safe_next(request, url: str) -> str:
    if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def start(request, next_url: str = "") -> str:
    """The provider's authorization URL; the flow's secrets go into the session."""
    cfg = config()
    known = provider(cfg)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = generate_token(64)
    with _client(cfg, request, known) as client:
        url, _state = client.create_authorization_url(
            known.metadata["authorization_endpoint"], state=state, nonce=nonce,
            code_verifier=verifier,
        )
    request.session[SESSION_FLOW] = {
        "state": state, "nonce": nonce, "verifier": verifier,
        "next": _safe_next(request, next_url), "at": time.time(),
    }
    return url


def _claimed_username(cfg: dict, id_token: str) -> str:
    # For the audit entry of a refused token only: read without trusting it.
    try:
        payload = jws.extract_compact(id_token.encode()).payload
        return str(json.loads(payload).get(cfg["username_claim"], ""))[:150]
    except Exception:
        return ""


def validate_id_token(cfg: dict, known: _Provider, id_token: str, nonce: str) -> dict:
    claimed = _claimed_username(cfg, id_token)
    registry = jwt.JWTClaimsRegistry(
        leeway=cfg["leeway"],
        iss={"essential": True, "value": cfg["issuer"]},
        aud={"essential": True, "value": cfg["client_id"]},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        try:
            token = jwt.decode(id_token, _keys(cfg, known), algorithms=ALGORITHMS)
        except InvalidKeyIdError:
            # The provider rotated its keys since we read them.
            token = jwt.decode(id_token, _keys(cfg, known, fresh=True), algorithms=ALGORITHMS)
        registry.validate(token.claims)
    except BadSignatureError as error:
        raise Refused("signature", claimed=claimed) from error
    except (UnsupportedAlgorithmError, InvalidKeyIdError) as error:
        raise Refused("key_or_algorithm", claimed=claimed) from error
    except ExpiredTokenError as error:
        raise Refused("expired", claimed=claimed) from error
    except (InvalidClaimError, MissingClaimError) as error:
        raise Refused(_claim_reason(error), claimed=claimed) from error
    except JoseError as error:
        raise Refused("malformed", claimed=claimed) from error
    claims = token.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # OpenID Connect Core 3.1.3.7: with several audiences, we must be the party
    # the token was issued to.
    if len(audiences) > 1 and claims.get("azp") != cfg["client_id"]:
        raise Refused("audience", claimed=claimed)
    return claims


def _claim_reason(error: JoseError) -> str:
    names = {"iss": "issuer", "aud": "audience", "nonce": "nonce", "iat": "issued_at",
             "sub": "subject", "exp": "expired"}
    return names.get(getattr(error, "claim", ""), "claims")


def finish(request) -> tuple[dict, str, str]:
    """(verified claims, ID token, where to go next) of the provider's answer."""
    cfg = config()
    flow = request.session.pop(SESSION_FLOW, None)
    if request.GET.get("error"):
        raise Refused("provider_error", "provider_error")
    if not flow or not constant_time_compare(flow["state"], request.GET.get("state", "")):
        raise Refused("state")
    if time.time() - flow["at"] > FLOW_SECONDS:
        raise Refused("flow_expired")
    code = request.GET.get("code", "")
    if not code:
        raise Refused("no_code")
    known = provider(cfg)
    with _client(cfg, request, known) as client:
        try:
            token = client.fetch_token(known.metadata["token_endpoint"], code=code,
                                       code_verifier=flow["verifier"])
        except OAuthError as error:
            # A wrong code verifier (PKCE), a reused or expired code.
            raise Refused(f"token_endpoint:{error.error}") from error
        except HTTP_ERRORS as error:
            raise Unreachable(known.metadata["token_endpoint"]) from error
        id_token = token.get("id_token")
        if not id_token:
            raise Refused("no_id_token")
        claims = validate_id_token(cfg, known, id_token, flow["nonce"])
        userinfo_url = known.metadata.get("userinfo_endpoint")
        if userinfo_url:
            try:
                response = client.get(userinfo_url)
                response.raise_for_status()
                info = response.json()
            except (*HTTP_ERRORS, ValueError) as error:
                raise Unreachable(userinfo_url) from error
            # OpenID Connect Core 5.3.2: another subject's answer is discarded.
            if info.get("sub") != claims["sub"]:
                raise Refused("userinfo_subject")
            claims = {**claims, **{k: v for k, v in info.items() if k not in PROTECTED_CLAIMS}}
    return claims, id_token, flow["next"]


# ---- The person --------------------------------------------------------------------


def _text(value) -> str:
    return "" if value is None else str(value).strip()


@transaction.atomic
def user_from_claims(cfg: dict, claims: dict) -> User:
    subject = _text(claims["sub"])[:255]
    username = _text(claims.get(cfg["username_claim"]))
    user = User.objects.select_for_update().filter(sso_subject=subject).first()
    if user is None:
        if not username:
            raise Refused("no_username", "no_username")
        try:
            User.username_validator(username)
        except ValidationError as error:
            raise Refused("bad_username", "no_username", claimed=username) from error
        user = User.objects.select_for_update().filter(username__iexact=username).first()
        if user is None:
            user = User(username=username[:150])
            user.set_unusable_password()
        elif user.sso_subject or user.has_usable_password():
            # Another identity holds it, or it is a local account (the
            # break-glass administrator): a provider-side name must not take it.
            raise Refused("local_account", "local_account", claimed=username)
        user.sso_subject = subject
    if user.pk and not user.is_active:
        raise Refused("inactive", "inactive", claimed=username)
    for name, claim in cfg["claim_map"].items():
        value = _text(claims.get(claim))
        max_length = User._meta.get_field(name).max_length
        # Removed at the provider: removed here too, not left stale.
        setattr(user, name, value[:max_length] if max_length else value)
    groups = claims.get(cfg["groups_claim"]) or []
    if isinstance(groups, str):
        groups = [groups]
    role = role_for({_text(g).lower() for g in groups}, cfg["role_groups"])
    if role is not None:
        user.role = role
    code = _text(claims.get(cfg["directorate_claim"])) if cfg["directorate_claim"] else ""
    if code:
        directorate = Directorate.objects.filter(code__iexact=code).first()
        if directorate is None:
            logger.warning("single sign-on: %s names unknown directorate %r", username, code)
        else:
            user.directorate = directorate
    user.save()
    return user


def end_session_url(request, id_token: str) -> str | None:
    """RP-initiated logout at the provider, when it advertises one."""
    cfg = config()
    try:
        endpoint = provider(cfg).metadata.get("end_session_endpoint")
    except Unreachable:
        return None
    if not endpoint:
        return None
    query = urlencode({
        "id_token_hint": id_token, "client_id": cfg["client_id"],
        "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
    })
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


# ---- Views -------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """The sign-in page: the password form, and the single sign-on button when on."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso"] = config() or None
        return context


def _refused_page(request, message_key: str, status: int):
    from .forms import LoginForm

    view = SignInView(request=request, authentication_form=LoginForm)
    view.setup(request)
    context = view.get_context_data(form=LoginForm(request), sso_error=MESSAGES[message_key])
    response = view.render_to_response(context)
    response.status_code = status
    return response


def sso_start(request):
    if not enabled():
        raise Http404
    try:
        return HttpResponseRedirect(start(request, request.GET.get("next", "")))
    except Unreachable:
        return _refused_page(request, "unreachable", 503)


def sso_callback(request):
    if not enabled():
        raise Http404
    try:
        claims, id_token, next_url = finish(request)
        user = user_from_claims(config(), claims)
    except Refused as refusal:
        audit.record(
            AuditEntry.Action.SIGN_IN_FAILED, request=request, actor=None,
            username=refusal.claimed,
            detail={"method": "oidc", "reason": refusal.reason},
        )
        return _refused_page(request, refusal.message, 400)
    except Unreachable:
        return _refused_page(request, "unreachable", 503)
    request.sign_in_method = "oidc"  # for the audit entry
    login(request, user, backend=BACKEND)
    request.session[SESSION_ID_TOKEN] = id_token
    return redirect(next_url)


class SignOutView(auth_views.LogoutView):
    """Signs out here, then at the provider when the person came through it."""

    def post(self, request, *args, **kwargs):
        id_token = request.session.get(SESSION_ID_TOKEN)
        response = super().post(request, *args, **kwargs)
        if id_token and enabled():
            url = end_session_url(request, id_token)
            if url:
                return HttpResponseRedirect(url)
        return response
