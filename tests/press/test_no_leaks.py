"""Another company's objects answer exactly as missing ones, on every press
URL with a parameter (tests/collab/test_no_leaks.py checks the intranet's)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.collab.test_no_leaks import _answer, _int_case, _parametrised_url_names
from tests.press.conftest import pdf, png
from tests.press.dossier_fixtures import checklist

MISSING = 987654321


@pytest.fixture
def leak_world(space):
    from press import dossiers
    from requests import services as engine

    kind = space["types"]["press_card"]
    documents, issued = checklist(kind)
    owner = space["a"]
    dossier = dossiers.file_press_card(
        owner["member"], owner["company"], journalist_id=owner["journalist"].pk,
        position="Reporter", monthly_salary="9000", documents=documents, issued_on=issued)
    engine.decide(dossier.pk, space["officer"], approve=True)
    return {"dossier": dossier, "viewer": space["b"]["member"], "space": space}


# name -> (kwargs of the other company's object, kwargs of a missing one)
CASES = {
    "press:dossier": lambda w: ({"pk": w["dossier"].pk}, {"pk": MISSING}),
    "press:dossier_message": lambda w: ({"pk": w["dossier"].pk}, {"pk": MISSING}),
    "press:dossier_resubmit": lambda w: ({"pk": w["dossier"].pk}, {"pk": MISSING}),
    "press:dossier_document": lambda w: ({"pk": w["dossier"].pk}, {"pk": MISSING}),
    "press:dossier_minutes": lambda w: ({"pk": w["dossier"].pk}, {"pk": MISSING}),
}
# Parameters that name no one's object, with the reason.
NOT_OBJECTS = {
    "press:dossier_file": "the kind of dossier to file (a service, the same for every company)",
    # Signed tokens, not object ids: a wrong token is refused the same whatever
    # it names (tests/press/test_registration.py).
    "press:verify_email": "a signed e-mail verification token",
    "press:password_reset_confirm": "Django's password reset token",
    "press:accept_invitation": "Django's password token, as an invitation",
}


def test_every_press_url_with_a_parameter_is_covered():
    names = {name for name in _parametrised_url_names() if name.startswith("press:")}
    unchecked = names - set(CASES) - set(COMPANY_CASES) - set(NOT_OBJECTS)
    assert not unchecked, f"add a case for: {sorted(unchecked)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_another_companys_object_answers_as_a_missing_one(name, leak_world):
    existing, missing = CASES[name](leak_world)
    client = Client()
    client.force_login(leak_world["viewer"])
    statuses = set()
    for method in ("get", "post"):
        send = getattr(client, method)
        hidden = _answer(send(reverse(name, kwargs=existing)))
        absent = _answer(send(reverse(name, kwargs=missing)))
        assert hidden == absent, (method, hidden[0], absent[0], hidden[1][:300])
        statuses.add(hidden[0])
    assert 404 in statuses and 403 not in statuses, statuses


def test_an_unknown_or_switched_off_service_is_a_404(space):
    client = Client()
    client.force_login(space["a"]["member"])
    for family in ("no_such_service", "filming_permit"):
        assert client.get(reverse("press:dossier_file", args=[family])).status_code == 404


# ---- Members, journalists and the vault ------------------------------------------------


# Members, journalists and the vault: name -> world -> (the other company's, a missing one)
COMPANY_CASES = {
    "press:member_remove": _int_case("member"),
    "press:journalist_edit": _int_case("journalist"),
    "press:journalist_photo": _int_case("journalist"),
    "press:vault_download": _int_case("document"),
    "press:vault_delete": _int_case("document"),
}


@pytest.fixture
def world(db, file_store, company_factory, member_factory):
    """Company A's objects; the viewer is the representative of company B."""
    from press import services

    company = company_factory()
    owner = member_factory(company=company)
    member = member_factory(company=company, role="filer")
    journalist = services.save_journalist(company, owner, {
        "name_ar": "صحفي", "name_latin": "Journaliste", "cin": "AB123456",
        "position": "Rédacteur", "hire_date": "2020-01-01", "cnss_number": "1234567",
        "active": True}, photo=png())
    document = services.add_vault_document(company, owner, kind="statutes", upload=pdf())
    viewer = member_factory(company=company_factory())
    return {"viewer": viewer, "owner": owner, "company": company,
            "member": member.press_membership, "journalist": journalist,
            "document": document}


@pytest.mark.parametrize("name", sorted(COMPANY_CASES))
def test_another_companys_member_journalist_or_document_answers_as_a_missing_one(
        name, world, client_for):
    existing, missing = COMPANY_CASES[name](world)
    client = client_for(world["viewer"])
    statuses = set()
    for method in ("get", "post"):
        send = getattr(client, method)
        hidden = _answer(send(reverse(name, kwargs=existing)))
        absent = _answer(send(reverse(name, kwargs=missing)))
        assert hidden == absent, (method, hidden[0], absent[0], hidden[1][:300])
        statuses.add(hidden[0])
    assert 404 in statuses and 403 not in statuses, statuses


@pytest.mark.parametrize("name", ["press:journalist_photo", "press:vault_download"])
def test_staff_other_than_press_officers_reach_no_company_file(name, world, user, client_for):
    existing, missing = COMPANY_CASES[name](world)
    client = client_for(user)
    assert _answer(client.get(reverse(name, kwargs=existing))) == \
        _answer(client.get(reverse(name, kwargs=missing)))
    assert client.get(reverse(name, kwargs=existing)).status_code == 404
