"""Mixed Arabic and Latin text: job titles in the page's language, each user text
isolated (<bdi>, dir="auto") and marked with its language when it is not the page's."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from collab import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def karim(user_factory):
    return user_factory(username="karim", first_name="Karim", last_name="Benali",
                        full_name_ar="كريم بنعلي", job_title="Cheffe de service",
                        job_title_ar="رئيسة مصلحة", job_title_en="Head of unit",
                        gender="female", preferred_language="fr")


@pytest.mark.parametrize(("language", "expected", "absent"), [
    ("ar", "<bdi>رئيسة مصلحة</bdi>", "Cheffe de service"),
    ("fr", "<bdi>Cheffe de service</bdi>", "رئيسة مصلحة"),
    ("en", "<bdi>Head of unit</bdi>", "Cheffe de service"),
])
def test_job_titles_follow_the_page_language(karim, client_for, language, expected, absent):
    services.set_preferred_language(karim, language)
    client = client_for(karim)
    for url in ("/people/karim/", "/directory/?q=Karim", "/"):
        page = client.get(url).content.decode()
        assert expected in page, url
        assert absent not in page, url


def test_the_directory_finds_a_job_title_typed_in_any_language(karim, client_for):
    client = client_for(karim)
    found = 'href="/people/karim/"><bdi>Karim Benali</bdi>'
    for typed in ("مصلحة", "Head of", "Cheffe"):
        assert found in client.get("/directory/", {"title": typed}).content.decode(), typed
    assert found not in client.get("/directory/", {"title": "Directeur"}).content.decode()


def test_a_title_missing_in_arabic_shows_the_french_one_marked_french(karim, client_for):
    karim.job_title_ar = ""
    karim.save(update_fields=["job_title_ar"])
    services.set_preferred_language(karim, "ar")
    page = client_for(karim).get("/people/karim/").content.decode()
    assert '<bdi lang="fr">Cheffe de service</bdi>' in page
    # Her name in the other script, under the Arabic one, says it is Latin text.
    assert '<bdi lang="fr">Karim Benali</bdi>' in page


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load bidi %}" + source).render(Context(context))


def test_isolate_marks_text_of_the_other_script_only():
    assert render("{{ v|isolate }}", "ar", v="Karim") == '<bdi lang="fr">Karim</bdi>'
    assert render("{{ v|isolate }}", "ar", v="كريم") == "<bdi>كريم</bdi>"
    assert render("{{ v|isolate }}", "fr", v="كريم") == '<bdi lang="ar">كريم</bdi>'
    # French and English share a script: only a known language is marked.
    assert render("{{ v|isolate }}", "en", v="Karim") == "<bdi>Karim</bdi>"
    assert render('{{ v|isolate:"fr" }}', "en", v="Chef") == '<bdi lang="fr">Chef</bdi>'
    # Numbers and signs have no language; user text is escaped.
    assert render("{{ v|isolate }}", "ar", v="2026-03") == "<bdi>2026-03</bdi>"
    assert render("{{ v|isolate }}", "ar", v="<b>x</b>") == (
        '<bdi lang="fr">&lt;b&gt;x&lt;/b&gt;</bdi>')
    assert render('<p dir="auto"{{ v|lang_attr }}>', "ar", v="Bonjour") == (
        '<p dir="auto" lang="fr">')


def test_mentions_in_plain_text_are_isolated_and_the_rest_escaped():
    assert render("{{ v|isolate_mentions }}", "ar", v="@karim <b>غدا</b> a@b.ma") == (
        "<bdi>@karim</bdi> &lt;b&gt;غدا&lt;/b&gt; a@b.ma")


def test_a_french_notification_body_on_an_arabic_page_says_it_is_french(user_factory,
                                                                        client_for):
    reader = user_factory(preferred_language="ar")
    services.notify(reader, kind="t", title="مرحبا", body="Réunion demain à 10 h")
    page = client_for(reader).get("/notifications/").content.decode()
    assert '<p class="notif-body" dir="auto" lang="fr">Réunion demain à 10 h</p>' in page


@pytest.mark.parametrize(("n", "expected"), [
    (1, "أُرسل الإعلان إلى متكون واحد."),
    (2, "أُرسل الإعلان إلى متكونَين."),
    (5, "أُرسل الإعلان إلى 5 متكونين."),
    (11, "أُرسل الإعلان إلى 11 متكونًا."),
    (100, "أُرسل الإعلان إلى 100 متكون."),
])
def test_arabic_counts_agree_with_the_number(n, expected):
    from django.utils.translation import ngettext

    with translation.override("ar"):
        assert ngettext("Announcement sent to %(n)s learner.",
                        "Announcement sent to %(n)s learners.", n) % {"n": n} == expected


# ---- One empty state per list ----------------------------------------------------------

def test_every_list_says_it_is_empty_through_the_shared_include():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    shared = root / "collab/templates/collab/partials/empty.html"
    # A message with a link beside it cannot be passed as text; the preview's
    # placeholder is not a list.
    by_hand = {root / "training/templates/training/mine.html",
               root / "announcements/templates/announcements/partials/preview.html"}
    found = [str(path.relative_to(root)) for path in root.glob("*/templates/**/*.html")
             if 'class="empty"' in path.read_text() and path not in {shared, *by_hand}]
    assert not found, f"empty states written by hand: {found}"


def test_an_empty_list_shows_its_message_once_in_the_right_element(user_factory, client_for):
    reader = user_factory(preferred_language="fr")
    client = client_for(reader)
    for url in ("/notifications/", "/notifications/panel/", "/"):
        page = client.get(url).content.decode()
        assert page.count("Aucune notification pour le moment.") == 1, url
        assert '<li class="empty">Aucune notification pour le moment.</li>' in page, url
    page = client.get("/directory/", {"q": "personne-de-ce-nom"}).content.decode()
    assert ('<tr class="empty-row"><td colspan="4" class="empty">'
            "Aucune personne ne correspond à cette recherche.</td></tr>") in page
