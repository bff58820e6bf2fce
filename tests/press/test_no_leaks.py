"""Another company's objects answer exactly as missing ones, on every press
URL with a parameter (tests/collab/test_no_leaks.py checks the intranet's)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.collab.test_no_leaks import _answer, _parametrised_url_names
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
}


def test_every_press_url_with_a_parameter_is_covered():
    names = {name for name in _parametrised_url_names() if name.startswith("press:")}
    unchecked = names - set(CASES) - set(NOT_OBJECTS)
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
