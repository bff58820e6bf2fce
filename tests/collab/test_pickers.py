"""People and directorate pickers: the search endpoints and the chip widget."""

from __future__ import annotations

import pytest
from django.utils import translation

from announcements.forms import AnnouncementForm
from collab.widgets import ChipPicker

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(user_factory, directorate_factory):
    rabat = directorate_factory(name_ar="مديرية الرباط", name_fr="Direction de Rabat",
                                kind="regional")
    return {
        "me": user_factory(username="me", first_name="Moi", last_name="Même",
                           role="communication_officer", preferred_language="fr"),
        "amina": user_factory(username="amina.e", first_name="Amina", last_name="El Idrissi",
                              full_name_ar="أمينة الإدريسي", directorate=rabat),
        "helene": user_factory(username="h.lefevre", first_name="Hélène", last_name="Lefèvre"),
        "gone": user_factory(username="amina.gone", first_name="Amina", last_name="Partie",
                             is_active=False),
        "press": user_factory(username="amina.press", first_name="Amina", last_name="Presse",
                              is_external=True),
    }


def _people(client, q, **extra):
    response = client.get("/pickers/people/", {"q": q, **extra})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return [row["value"] for row in response.json()["results"]]


def test_people_are_found_by_any_script_and_folded(staff, client_for):
    client = client_for(staff["me"])
    # Arabic without hamza finds the name written with it (أمينة الإدريسي),
    # with or without the article.
    assert _people(client, "امينه") == ["amina.e"]
    assert _people(client, "ادريسي") == ["amina.e"]
    assert _people(client, "الادريسي") == ["amina.e"]
    # Latin: case and accents folded, every word must match.
    assert _people(client, "helene") == ["h.lefevre"]
    assert _people(client, "LEFÈVRE hél") == ["h.lefevre"]
    assert _people(client, "amina idr") == ["amina.e"]
    assert _people(client, "amina lef") == []
    # Inactive people and press accounts are never offered.
    assert _people(client, "amina") == ["amina.e"]
    assert _people(client, "") == []


def test_people_search_leaves_out_the_asker_when_asked(staff, client_for):
    client = client_for(staff["me"])
    assert _people(client, "moi") == ["me"]
    assert _people(client, "moi", self="0") == []


def test_people_results_are_limited_and_say_where_each_works(staff, user_factory, client_for):
    for n in range(12):
        user_factory(username=f"sara{n}", first_name="Sara", last_name=f"N{n}")
    response = client_for(staff["me"]).get("/pickers/people/", {"q": "sara"})
    rows = response.json()["results"]
    assert len(rows) == 10
    assert {"value", "label", "detail"} <= set(rows[0])
    [row] = client_for(staff["me"]).get("/pickers/people/", {"q": "amina"}).json()["results"]
    avatar = row.pop("avatar")
    assert row == {"value": "amina.e", "label": "Amina El Idrissi",
                   "detail": "Direction de Rabat"}
    assert ">AI</span>" in avatar and 'aria-hidden="true"' in avatar


def test_external_accounts_and_strangers_get_nothing(staff, client_for, client):
    assert client.get("/pickers/people/", {"q": "amina"}).status_code == 302
    external = client_for(staff["press"])
    for url in ("/pickers/people/", "/pickers/directorates/"):
        response = external.get(url, {"q": "amina", "kind": "regional"})
        # The press space keeps its accounts out, or the endpoint answers empty.
        assert response.status_code in (200, 302, 403, 404)
        if response.status_code == 200:
            assert response.json()["results"] == []


def test_directorates_by_name_and_the_kind_shortcuts(staff, directorate_factory, client_for):
    directorate_factory(name_ar="مديرية الشؤون الإدارية", name_fr="Direction des affaires "
                        "administratives", kind="central", code="daf")
    directorate_factory(name_ar="المديرية الجهوية فاس-مكناس", name_fr="Direction régionale de Fès",
                        kind="regional", code="dr-fes")
    client = client_for(staff["me"])

    def labels(**params):
        response = client.get("/pickers/directorates/", params)
        assert response.status_code == 200
        return [row["label"] for row in response.json()["results"]]

    # The asker reads French: labels come in French.
    assert labels(q="affaires admin") == ["Direction des affaires administratives"]
    assert labels(q="fes") == ["Direction régionale de Fès"]
    assert labels(q="الشوون") == ["Direction des affaires administratives"]
    assert labels(q="فاس") == ["Direction régionale de Fès"]
    regional = labels(kind="regional")
    assert set(regional) == {"Direction de Rabat", "Direction régionale de Fès"}
    central = labels(kind="central")
    assert "Direction des affaires administratives" in central
    assert not set(central) & set(regional)
    assert labels(kind="nonsense") == []


def test_the_widget_never_renders_a_native_multi_select(staff, directorate_factory):
    casa = directorate_factory(name_fr="Direction de Casablanca", kind="regional")
    form = AnnouncementForm(user=staff["me"], initial={"directorates": [casa]})
    with translation.override("fr"):
        html = str(form["directorates"])
    assert "<select" not in html
    assert 'role="combobox"' in html and 'data-only="' in html
    # The chosen directorate is a chip whose remove button names it.
    assert 'aria-label="Retirer Direction de Casablanca"' in html
    assert "Toutes les directions régionales" in html


def test_a_manager_is_offered_only_the_directorates_they_may_address(
    user_factory, directorate_factory
):
    own = directorate_factory(name_fr="Direction propre")
    other = directorate_factory(name_fr="Autre direction")
    manager = user_factory(role="manager", directorate=own)
    html = str(AnnouncementForm(user=manager)["directorates"])
    only = html.split('data-only="')[1].split('"')[0].split(",")
    assert str(own.pk) in only and str(other.pk) not in only


def test_values_typed_without_script_or_posted_by_chips_are_read_alike():
    widget = ChipPicker(ChipPicker.PEOPLE)
    from django.http import QueryDict

    data = QueryDict("users=a.b&users=%40c.d+e.f%2Cg.h%D8%8C+i.j&users=a.b")
    assert widget.value_from_datadict(data, {}, "users") == ["a.b", "c.d", "e.f", "g.h", "i.j"]
    assert widget.value_from_datadict(QueryDict(""), {}, "users") == []


def test_a_renamed_person_is_found_by_the_new_name(staff, client_for):
    helene = staff["helene"]
    helene.full_name_ar = "هيلين لوفيفر"
    helene.save(update_fields=["full_name_ar"])
    assert _people(client_for(staff["me"]), "لوفيفر") == ["h.lefevre"]
