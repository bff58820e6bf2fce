"""Notifications read in the reader's language of the moment, not of the day they were written.

They are made through the apps' own services (a mention in chat, an application
waiting for a decision), then read on every page that shows them, live, and in
the e-mail digest, before and after their reader changes language.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from chat import services as chat_services
from collab import events, later, services
from collab.models import Notification
from collab.testing import capture_events
from requests import services as request_services
from requests.defaults import ensure_default_types
from requests.models import RequestType

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(user_factory):
    nadia = user_factory(username="nadia", first_name="Nadia", last_name="Chraibi",
                         full_name_ar="نادية الشرايبي", email="nadia@ministry.ma",
                         role="hr_officer", preferred_language="fr")
    karim = user_factory(username="karim", first_name="Karim", last_name="Benali",
                         full_name_ar="كريم بنعلي", preferred_language="fr")
    salma = user_factory(username="salma", first_name="Salma", last_name="Idrissi",
                         preferred_language="ar")
    return nadia, karim, salma


def _mention(karim, *others):
    group = chat_services.create_group(karim, "Comité", [p.pk for p in others])
    names = " ".join(f"@{p.username}" for p in others)
    chat_services.send_message(karim, group.pk, f"{names} peux-tu valider la liste ?")
    return group


def _pages(client):
    return {url: client.get(url).content.decode()
            for url in ("/notifications/", "/notifications/panel/", "/")}


def test_a_mention_written_in_french_reads_in_arabic_once_the_reader_switches(
        people, client_for):
    nadia, karim, salma = people
    with capture_events() as captured:
        _mention(karim, nadia, salma)
    # Live: each recipient's event is in their own language, names in its script.
    to_nadia = captured.assert_published(events.NOTIFICATION_CREATED, to=nadia.pk)
    to_salma = captured.assert_published(events.NOTIFICATION_CREATED, to=salma.pk)
    assert to_nadia["title"] == "Karim Benali vous a mentionné"
    assert "Karim Benali vous a mentionné" in to_nadia["html"]
    assert to_salma["title"] == "أشار إليك كريم بنعلي"
    assert "أشار إليك كريم بنعلي" in to_salma["html"]

    client = client_for(nadia)
    for url, page in _pages(client).items():
        assert "Karim Benali vous a mentionné" in page, url

    services.set_preferred_language(nadia, "ar")
    for url, page in _pages(client).items():
        assert "أشار إليك كريم بنعلي" in page, url
        assert "vous a mentionné" not in page, url
        # The excerpt of the message is the author's own words: never translated.
        assert "peux-tu valider la liste ?" in page, url

    # The socket's catch-up after a reconnect renders in the new language too.
    from collab.actions import sync

    [item] = sync(nadia, {"notifications_after": 0})["notifications"]
    assert item["title"] == "أشار إليك كريم بنعلي"
    assert "أشار إليك كريم بنعلي" in item["html"]


def test_an_application_to_decide_has_its_type_name_and_buttons_in_the_readers_language(
        people, client_for):
    nadia, karim, _salma = people
    ensure_default_types()
    # Not the salary certificate: completing it needs a form, so its notice has no buttons.
    certificate = RequestType.objects.filter(
        family=RequestType.Family.CERTIFICATE, active=True,
    ).exclude(certificate_kind=RequestType.CertificateKind.SALARY).first()
    request_services.submit_certificate(karim, certificate, language="fr")
    note = Notification.objects.get(recipient=nadia, kind="request.decision_needed")
    with translation.override("fr"):
        assert note.title == f"{certificate.name} demandé par Karim Benali"
    client = client_for(nadia)
    page = client.get("/notifications/").content.decode()
    assert ">Approuver</button>" in page and ">Refuser</button>" in page

    services.set_preferred_language(nadia, "ar")
    page = client.get("/notifications/").content.decode()
    with translation.override("ar"):
        assert f"{certificate.name}: طلب من كريم بنعلي" in page
    assert ">موافقة</button>" in page and ">رفض</button>" in page
    assert "Approuver" not in page


def test_the_digest_lists_a_mention_in_the_language_chosen_since(people, smtp_server, settings):
    settings.COLLAB_PUBLIC_URL = "https://intranet.example.gov.ma"
    nadia, karim, _salma = people
    _mention(karim, nadia)
    Notification.objects.update(created_at=timezone.now() - timedelta(days=2))
    services.set_preferred_language(nadia, "ar")
    call_command("send_digests", stdout=open("/dev/null", "w"))
    [message] = smtp_server.messages
    text = smtp_server.text_of(message)
    assert "أشار إليك كريم بنعلي: @nadia peux-tu valider la liste ?" in text
    assert "vous a mentionné" not in text


def test_a_row_written_before_messages_existed_shows_its_stored_text(user_factory, client_for):
    reader = user_factory(preferred_language="ar")
    Notification.objects.create(recipient=reader, kind="old", title="Votre congé est approuvé",
                                body="Bonnes vacances")
    page = client_for(reader).get("/notifications/").content.decode()
    assert "Votre congé est approuvé" in page and "Bonnes vacances" in page


def test_a_message_reads_in_each_language_with_its_parameters():
    message = later.gettext_later(
        "Your request %(ref)s expires on %(date)s", ref="DEM-2026-0042",
        date=timezone.datetime(2026, 3, 9).date())
    stored = message.as_json()
    with translation.override("fr"):
        assert later.render(stored) == "Votre demande DEM-2026-0042 expire le 09/03/2026"
    with translation.override("en"):
        assert later.render(stored).startswith("Your request DEM-2026-0042 expires on ")
    with translation.override("ar"):
        assert "DEM-2026-0042" in later.render(stored)
        assert "expires" not in later.render(stored)
    # A message this version cannot read shows the text stored with it.
    assert later.render({"msgid": "%(gone)s", "params": {"kept": "x"}},
                        "texte d’origine") == "texte d’origine"
