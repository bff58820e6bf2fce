"""Claims of the test provider, and the misbehaviour the tests need."""

import base64
import json

from django.utils.translation import gettext_lazy as _
from oidc_provider.lib.claims import ScopeClaims
from provider_seed import PEOPLE


def userinfo(claims, user):
    person = PEOPLE.get(user.username, {})
    claims.update({
        "preferred_username": user.username,
        "given_name": person.get("given_name", ""),
        "family_name": person.get("family_name", ""),
        "name": f"{person.get('given_name', '')} {person.get('family_name', '')}".strip(),
        "email": person.get("email", ""),
        "email_verified": True,
    })
    return claims


class MinistryClaims(ScopeClaims):
    # Keycloak, ADFS and Entra add such claims through their mappers.
    info_groups = (_("Groups"), _("Your groups."))
    info_ministry = (_("Ministry"), _("Your post in the ministry."))

    def scope_groups(self):
        return {"groups": PEOPLE.get(self.user.username, {}).get("groups", [])}

    def scope_ministry(self):
        person = PEOPLE.get(self.user.username, {})
        return {key: person[key] for key in ("name_ar", "job_title", "employee_number",
                                             "department") if key in person}


def misbehave(id_token, user=None, **kwargs):
    """Accounts named mallory-* get a token a relying party must refuse."""
    if user is None:
        return id_token
    if user.username == "mallory-iss":
        id_token["iss"] = "https://impostor.example/openid"
    elif user.username == "mallory-aud":
        id_token["aud"] = "another-application"
    elif user.username == "mallory-nonce":
        id_token["nonce"] = "a-nonce-from-another-sign-in"
    elif user.username == "mallory-expired":
        id_token["exp"] = id_token["iat"] - 600
    return id_token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class ForgeTokenMiddleware:
    """For mallory-sig, the token endpoint answers an ID token whose claims were
    changed after signing (groups raised to the administrators'), signature kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.rstrip("/").endswith("/openid/token") or response.status_code != 200:
            return response
        body = json.loads(response.content)
        header, payload, signature = body["id_token"].split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if claims.get("preferred_username") == "mallory-sig":
            claims["groups"] = ["collab-admins"]
            body["id_token"] = ".".join([header, _b64(json.dumps(claims).encode()), signature])
            response.content = json.dumps(body).encode()
        return response
