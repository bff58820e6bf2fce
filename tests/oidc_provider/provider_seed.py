"""The provider's people, its signing key and collab's client registration."""

import io

PASSWORD = "Provider-pass-2026"
CLIENT_ID = "collab-intranet"
CLIENT_SECRET = "collab-client-secret"

PEOPLE = {
    "nadia": {
        "given_name": "Nadia", "family_name": "Chraibi", "email": "nadia@ministry.ma",
        "name_ar": "نادية الشرايبي", "job_title": "Cheffe de division",
        "employee_number": "MC-2044", "department": "drh",
        "groups": ["collab-hr", "collab-everyone"],
    },
    "youssef": {
        "given_name": "Youssef", "family_name": "Amrani", "email": "youssef@ministry.ma",
        "name_ar": "يوسف العمراني", "groups": ["collab-trainers"],
    },
    "hind": {
        "given_name": "Hind", "family_name": "Saidi", "email": "hind@ministry.ma",
        "groups": ["collab-press"],
    },
    # Same name as collab's local break-glass account in the tests.
    "breakglass": {"given_name": "Not", "family_name": "Theadmin", "groups": ["collab-admins"]},
    "mallory-iss": {"given_name": "Mallory", "groups": []},
    "mallory-aud": {"given_name": "Mallory", "groups": []},
    "mallory-nonce": {"given_name": "Mallory", "groups": []},
    "mallory-expired": {"given_name": "Mallory", "groups": []},
    "mallory-sig": {"given_name": "Mallory", "groups": []},
}


def seed(redirect_uri: str, post_logout_uri: str) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oidc_provider.models import Client, ResponseType

    call_command("migrate", verbosity=0, interactive=False)
    call_command("creatersakey", stdout=io.StringIO())  # keeps stdout for the port
    for username in PEOPLE:
        User.objects.create_user(username, password=PASSWORD)
    client = Client.objects.create(
        name="collab", client_type="confidential", client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET, jwt_alg="RS256", require_consent=False,
        _redirect_uris=redirect_uri, _post_logout_redirect_uris=post_logout_uri,
        _scope="openid profile email groups ministry",
    )
    client.response_types.set(ResponseType.objects.filter(value="code"))
