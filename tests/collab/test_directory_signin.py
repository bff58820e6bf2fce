"""Sign-in with the ministry's directory, against a real OpenLDAP server.

Debian's slapd runs as our own process on a free port with a tree written here
(Arabic names included); the settings come from the same environment variables
a deployment sets, through collab/directory_config.py. Every sign-in goes
through the real login form. Outside CI the module skips, saying why, when
slapd or python-ldap is missing; under CI=true it fails instead.
"""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from collab.models import Directorate, User
from tests import multiproc
from tests.conftest import IN_CI, connect_socket

SUFFIX = "dc=ministry,dc=ma"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
PASSWORD = "Dir-pass-2026"
SERVICE_DN = f"cn=collab-reader,{SUFFIX}"
SERVICE_PASSWORD = "reader-secret"


def _requirements():
    problems = []
    try:
        import django_auth_ldap  # noqa: F401
        import ldap  # noqa: F401
    except ImportError as error:
        problems.append(f"python-ldap/django-auth-ldap not importable ({error})")
    if multiproc.SlapdServer.binary() is None:
        problems.append("slapd is not installed (make system-deps-test)")
    return problems


_PROBLEMS = _requirements()
if _PROBLEMS and not IN_CI:
    pytest.skip("directory tests need " + "; ".join(_PROBLEMS), allow_module_level=True)
elif _PROBLEMS:
    raise RuntimeError("CI=true and the directory tests cannot run: " + "; ".join(_PROBLEMS))

import ldap  # noqa: E402
import ldap.modlist  # noqa: E402

from collab.directory_config import directory_settings  # noqa: E402


def person(uid, given, sn, arabic, *, ou=None, **extra):
    dn = f"uid={uid},{f'ou={ou},' if ou else ''}{PEOPLE}"
    attrs = {
        "objectClass": ["inetOrgPerson"], "uid": [uid], "cn": [f"{given} {sn}"],
        "givenName": [given], "sn": [sn], "displayName": [arabic],
        "mail": [f"{uid}@ministry.ma"], "userPassword": [PASSWORD],
    }
    attrs.update({k: [v] for k, v in extra.items()})
    return dn, attrs


def dn_of(uid, ou=None):
    return f"uid={uid},{f'ou={ou},' if ou else ''}{PEOPLE}"


def group(cn, *members):
    attrs = {"objectClass": ["groupOfNames"], "cn": [cn], "member": list(members)}
    return f"cn={cn},{GROUPS}", attrs


def seed(server):
    conn = ldap.initialize(server.uri)
    conn.simple_bind_s(server.root_dn, server.root_password)
    entries = [
        (SUFFIX, {"objectClass": ["dcObject", "organization"], "dc": ["ministry"],
                  "o": ["Ministère"]}),
        (SERVICE_DN, {"objectClass": ["simpleSecurityObject", "organizationalRole"],
                      "cn": ["collab-reader"], "userPassword": [SERVICE_PASSWORD]}),
        (PEOPLE, {"objectClass": ["organizationalUnit"], "ou": ["people"]}),
        (f"ou=drh,{PEOPLE}", {"objectClass": ["organizationalUnit"], "ou": ["drh"]}),
        (GROUPS, {"objectClass": ["organizationalUnit"], "ou": ["groups"]}),
        # Karim: no department attribute, his OU names his directorate.
        person("karim", "Karim", "Alaoui", "كريم العلوي", ou="drh", title="Directeur",
               employeeNumber="MC-0007"),
        person("amina", "Amina", "Benali", "أمينة بنعلي", title="Cheffe de service",
               employeeNumber="MC-1042", departmentNumber="dsi", manager=dn_of("karim", "drh")),
        person("salma", "Salma", "Idrissi", "سلمى الإدريسي", departmentNumber="dsi"),
        person("omar", "Omar", "Tazi", "عمر التازي", departmentNumber="dsi"),
        person("youssef", "Youssef", "Amrani", "يوسف العمراني", departmentNumber="dsi"),
        group("collab-managers", dn_of("karim", "drh")),
        group("collab-admins", dn_of("salma")),
        group("collab-press", dn_of("amina")),
        # Karim manages and trains: he stays a manager (approvals follow that role).
        group("collab-trainers", dn_of("youssef"), dn_of("karim", "drh")),
        group("collab-disabled", SERVICE_DN),  # groupOfNames needs one member
    ]
    for dn, attrs in entries:
        encoded = {k: [v.encode() for v in vs] for k, vs in attrs.items()}
        conn.add_s(dn, ldap.modlist.addModlist(encoded))
    conn.unbind_s()


def modify(server, dn, attr, values, op=ldap.MOD_REPLACE):
    conn = ldap.initialize(server.uri)
    conn.simple_bind_s(server.root_dn, server.root_password)
    conn.modify_s(dn, [(op, attr, [v.encode() for v in values])])
    conn.unbind_s()


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    server = multiproc.SlapdServer(tmp_path_factory.mktemp("slapd"), suffix=SUFFIX).start()
    seed(server)
    yield server
    server.stop()


ENV = {
    "LDAP_BIND_DN": SERVICE_DN,
    "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
    "LDAP_USER_SEARCH_BASE": PEOPLE,
    "LDAP_GROUP_SEARCH_BASE": GROUPS,
    "LDAP_GROUP_FILTER": "(objectClass=groupOfNames)",
    "LDAP_ROLE_GROUPS": (f"manager=cn=collab-managers,{GROUPS};"
                         f"administrator=cn=collab-admins,{GROUPS};"
                         f"press_officer=cn=collab-press,{GROUPS};"
                         f"trainer=cn=collab-trainers,{GROUPS}"),
    "LDAP_DISABLED_GROUP": f"cn=collab-disabled,{GROUPS}",
    "LDAP_TIMEOUT": "3",
}


@pytest.fixture
def directory(slapd, settings, db):
    """The settings a deployment gets from these environment variables."""
    for name, value in directory_settings({"LDAP_SERVER_URI": slapd.uri, **ENV}).items():
        setattr(settings, name, value)
    backends = list(settings.AUTHENTICATION_BACKENDS)
    backends.insert(1, "collab.directory.DirectoryBackend")
    settings.AUTHENTICATION_BACKENDS = backends
    Directorate.objects.create(code="dsi", name_ar="مديرية نظم المعلومات",
                               name_fr="Direction des systèmes d'information", kind="central")
    Directorate.objects.create(code="drh", name_ar="مديرية الموارد البشرية",
                               name_fr="Direction des ressources humaines", kind="central")
    return slapd


def sign_in(username, password, language="ar"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def test_off_without_server_uri():
    assert directory_settings({}) == {}


def test_first_sign_in_creates_the_user_from_the_directory(directory):
    _, response = sign_in("karim", PASSWORD)
    assert signed_in(response)
    _, response = sign_in("amina", PASSWORD)
    assert signed_in(response)

    amina = User.objects.get(username="amina")
    assert (amina.first_name, amina.last_name, amina.full_name_ar) == (
        "Amina", "Benali", "أمينة بنعلي")
    assert (amina.email, amina.job_title, amina.employee_number) == (
        "amina@ministry.ma", "Cheffe de service", "MC-1042")
    assert amina.role == User.Role.PRESS_OFFICER
    assert amina.directorate.code == "dsi"
    assert amina.manager.username == "karim"
    assert not amina.has_usable_password()  # the directory holds the password

    karim = User.objects.get(username="karim")
    assert karim.role == User.Role.MANAGER
    assert karim.directorate.code == "drh"  # from his OU
    assert karim.manager is None

    assert signed_in(sign_in("youssef", PASSWORD)[1])
    assert User.objects.get(username="youssef").role == User.Role.TRAINER


def test_changes_in_the_directory_are_synced_at_the_next_sign_in(directory):
    assert signed_in(sign_in("salma", PASSWORD)[1])
    salma = User.objects.get(username="salma")
    assert salma.role == User.Role.ADMINISTRATOR and salma.job_title == ""
    try:
        modify(directory, dn_of("salma"), "title", ["Ingénieure d'État"])
        modify(directory, dn_of("salma"), "displayName", ["سلمى الإدريسي العلمي"])
        modify(directory, dn_of("salma"), "departmentNumber", ["drh"])
        modify(directory, f"cn=collab-admins,{GROUPS}", "member", [SERVICE_DN])  # salma out

        assert signed_in(sign_in("salma", PASSWORD)[1])
        salma.refresh_from_db()
        assert salma.job_title == "Ingénieure d'État"
        assert salma.full_name_ar == "سلمى الإدريسي العلمي"
        assert salma.directorate.code == "drh"
        assert salma.role == User.Role.STAFF  # no longer in the administrators' group

        modify(directory, dn_of("salma"), "title", [])  # removed in the directory
        assert signed_in(sign_in("salma", PASSWORD)[1])
        salma.refresh_from_db()
        assert salma.job_title == ""
    finally:
        modify(directory, f"cn=collab-admins,{GROUPS}", "member", [dn_of("salma")])
        modify(directory, dn_of("salma"), "departmentNumber", ["dsi"])
        modify(directory, dn_of("salma"), "title", [])
        modify(directory, dn_of("salma"), "displayName", ["سلمى الإدريسي"])


def test_wrong_password_is_refused(directory):
    _, response = sign_in("amina", "not-her-password", language="fr")
    assert response.status_code == 200
    assert not User.objects.filter(username="amina").exists()
    assert "et un mot de passe valides" in response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_user_disabled_in_the_directory_is_refused_and_their_sockets_close(
        directory, settings):
    settings.SESSION_SWEEP_SECONDS = 3600  # the signal closes the socket, not the sweep
    client, response = await sync_to_async(sign_in)("omar", PASSWORD)
    assert signed_in(response)
    omar = await User.objects.aget(username="omar")
    session_key = client.cookies["sessionid"].value
    socket, connected, code = await connect_socket(omar, session_key=session_key)
    assert connected, code
    assert json.loads(await socket.receive_from(timeout=5))["type"] == "hello"

    await sync_to_async(modify)(directory, f"cn=collab-disabled,{GROUPS}", "member",
                                [dn_of("omar")], ldap.MOD_ADD)
    try:
        _, response = await sync_to_async(sign_in)("omar", PASSWORD, "fr")
        assert response.status_code == 200
        assert "Ce compte est inactif" in response.content.decode()
        assert not (await User.objects.aget(username="omar")).is_active
        while True:
            output = await socket.receive_output(timeout=10)
            if output["type"] == "websocket.close":
                break
            frame = json.loads(output["text"])
        assert (frame["event"], output["code"]) == ("account.disabled", 4003)

        # As Active Directory refuses a disabled account's password: a failed
        # attempt also ends the local account.
        await User.objects.filter(username="omar").aupdate(is_active=True)
        _, response = await sync_to_async(sign_in)("omar", "not-his-password", "fr")
        assert response.status_code == 200
        assert not (await User.objects.aget(username="omar")).is_active

        # Enabled again in the directory: active again at the next sign-in.
        await sync_to_async(modify)(directory, f"cn=collab-disabled,{GROUPS}", "member",
                                    [dn_of("omar")], ldap.MOD_DELETE)
        assert signed_in((await sync_to_async(sign_in)("omar", PASSWORD))[1])
        assert (await User.objects.aget(username="omar")).is_active
    finally:
        await sync_to_async(modify)(directory, f"cn=collab-disabled,{GROUPS}", "member",
                                    [SERVICE_DN])


def test_directory_down_gives_a_clear_error_and_the_local_administrator_signs_in(
        directory, user_factory):
    user_factory(username="breakglass", role="administrator", password="Local-admin-pass-1")
    directory.stop()
    try:
        _, response = sign_in("amina", PASSWORD, language="fr")
        assert response.status_code == 200
        assert "L’annuaire du personnel est injoignable" in response.content.decode()
        _, response = sign_in("amina", PASSWORD, language="ar")
        assert "تعذّر الاتصال بدليل الموظفين" in response.content.decode()

        _, response = sign_in("breakglass", "Local-admin-pass-1")
        assert signed_in(response)
    finally:
        directory.start()


def test_local_administrator_signs_in_while_the_directory_is_up(directory, user_factory):
    user_factory(username="breakglass", role="administrator", password="Local-admin-pass-1")
    assert signed_in(sign_in("breakglass", "Local-admin-pass-1")[1])
