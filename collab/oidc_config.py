"""Single sign-on with OpenID Connect (Keycloak, ADFS, Entra ID), from the environment.

``oidc_settings(os.environ)`` returns the ``COLLAB_OIDC`` setting, or ``{}``
when ``OIDC_ISSUER`` is unset: single sign-on is then off and the sign-in page
shows no button for it. The provider's endpoints and keys are read from its
discovery document at the first sign-in (collab/oidc.py), not configured here.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from .directory_config import pairs, role_groups

DEFAULT_CLAIM_MAP = {
    "first_name": "given_name",
    "last_name": "family_name",
    "email": "email",
}
# User fields a claim may fill (the others are collab's own).
MAPPABLE_FIELDS = {"first_name", "last_name", "full_name_ar", "email", "job_title",
                   "employee_number"}


def oidc_settings(environ: Mapping[str, str]) -> dict:
    def get(name, default=""):
        return environ.get(name, default).strip()

    issuer = get("OIDC_ISSUER").rstrip("/")
    if not issuer:
        return {}
    client_id, secret = get("OIDC_CLIENT_ID"), environ.get("OIDC_CLIENT_SECRET", "")
    if not client_id or not secret:
        raise ImproperlyConfigured("OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required with "
                                   "OIDC_ISSUER")
    claim_map = dict(DEFAULT_CLAIM_MAP)
    claim_map.update(pairs(get("OIDC_CLAIM_MAP"), "OIDC_CLAIM_MAP"))
    claim_map = {field: claim for field, claim in claim_map.items() if claim != "-"}
    unknown = set(claim_map) - MAPPABLE_FIELDS
    if unknown:
        raise ImproperlyConfigured(
            f"OIDC_CLAIM_MAP: unknown field(s) {', '.join(sorted(unknown))} "
            f"(one of {', '.join(sorted(MAPPABLE_FIELDS))})"
        )
    scopes = get("OIDC_SCOPES", "openid profile email").split()
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    return {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": secret,
        "scopes": scopes,
        "username_claim": get("OIDC_USERNAME_CLAIM", "preferred_username"),
        "claim_map": claim_map,
        "groups_claim": get("OIDC_GROUPS_CLAIM", "groups"),
        "role_groups": role_groups(get("OIDC_ROLE_GROUPS"), "OIDC_ROLE_GROUPS"),
        "directorate_claim": get("OIDC_DIRECTORATE_CLAIM"),
        # The name on the sign-in button, e.g. "Keycloak du ministère".
        "display_name": get("OIDC_DISPLAY_NAME"),
        "timeout": float(get("OIDC_TIMEOUT", "5")),
        # Seconds of clock difference tolerated on the token's times.
        "leeway": int(get("OIDC_LEEWAY", "60")),
    }
