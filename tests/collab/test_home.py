"""The home page: a few rows from every app, the shared empty state, the header."""

import pytest
from django.test import Client

from announcements import services as announcements
from announcements.services import AnnouncementInput
from chat import services as chat
from collab.services import set_preferred_language

pytestmark = pytest.mark.django_db


def client_for(user, language="fr"):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_new_user_sees_one_empty_state_per_section(user_factory):
    html = client_for(user_factory(preferred_language="fr")).get("/").content.decode()
    for message in ("Aucune annonce pour vous en ce moment.", "Rien n’attend votre décision.",
                    "fait aucune demande.", "Vous êtes à jour.",
                    "Aucune session de formation à venir."):
        assert html.count(message) == 1, message
    assert html.count('class="empty" role="status"') == 5


def test_home_lists_announcements_and_unread_conversations(directorate_factory, user_factory):
    central = directorate_factory(kind="central", code="dcom")
    officer = user_factory(directorate=central, role="communication_officer")
    reader = user_factory(directorate=central, preferred_language="ar")
    announcement = announcements.save_announcement(
        officer,
        AnnouncementInput(title_ar="إعلان الأسبوع", title_fr="Annonce de la semaine",
                          body_ar="<p>نص</p>", body_fr="<p>Texte</p>", to_all_staff=True),
        announcements.PUBLISH,
    )
    direct = chat.start_direct(officer, reader)
    chat.send_message(officer, direct.pk, "مرحبا")
    chat.send_message(officer, direct.pk, "هل أنت هنا؟")

    html = client_for(reader, "ar").get("/").content.decode()
    assert f'href="{announcement.get_absolute_url()}"' in html
    assert "إعلان الأسبوع" in html
    assert f'href="/chat/{direct.pk}/"' in html
    # Arabic dual: two messages take the dual form, not the plural one.
    assert "رسالتان غير مقروءتين" in html

    set_preferred_language(reader, "fr")
    french = client_for(reader, "fr").get("/").content.decode()
    assert "Annonce de la semaine" in french
    assert "2 messages non lus" in french


def test_language_menu_does_not_submit_on_change(user_factory):
    html = client_for(user_factory()).get("/").content.decode()
    start = html.index('class="lang-menu"')
    menu = html[start:html.index("</details>", start)]
    assert "onchange" not in menu and "<select" not in menu
    # One button per language, each named in its own language and script.
    assert '<button type="submit" name="language" value="ar" lang="ar" dir="rtl"' in menu
    assert 'value="fr" lang="fr" dir="ltr"' in menu
    assert 'class="brand-emblem"' in html
    assert "{#" not in html  # a template comment spilling onto the page
