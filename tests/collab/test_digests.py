"""E-mail digests for staff who are away, read back from a real SMTP server (aiosmtpd).

Mentions, direct messages and an application waiting for a decision are made
through the apps' own services, then dated back past the person's delay; the
digest goes out through `manage.py send_digests` and Django's SMTP backend.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from chat import services as chat_services
from chat.models import Membership, Message
from collab.models import Notification, User
from requests import services as request_services
from requests.defaults import ensure_default_types
from requests.models import Request, RequestType

pytestmark = pytest.mark.django_db

AWAY = "Nadia"


@pytest.fixture
def waiting(user_factory, settings):
    """Three kinds of things waiting two days for Nadia (HR officer, reads Arabic)."""
    settings.COLLAB_PUBLIC_URL = "https://intranet.example.gov.ma"
    nadia = user_factory(username="nadia", first_name=AWAY, last_name="Chraibi",
                         full_name_ar="نادية الشرايبي", email="nadia@ministry.ma",
                         role="hr_officer", preferred_language="ar")
    karim = user_factory(username="karim", first_name="Karim", last_name="Benali",
                         full_name_ar="كريم بنعلي", preferred_language="fr")
    direct = chat_services.start_direct(karim, nadia)
    chat_services.send_message(karim, direct.pk, "Bonjour, le dossier est prêt ?")
    chat_services.send_message(karim, direct.pk, "Je repasse demain.")
    group = chat_services.create_group(karim, "Comité", [nadia.pk])
    chat_services.send_message(karim, group.pk, "@nadia peux-tu valider la liste ?")
    ensure_default_types()
    certificate = RequestType.objects.filter(
        family=RequestType.Family.CERTIFICATE, active=True).first()
    application = request_services.submit_certificate(karim, certificate, language="fr")

    two_days_ago = timezone.now() - timedelta(days=2)
    Message.objects.update(created_at=two_days_ago)
    Notification.objects.update(created_at=two_days_ago)
    Request.objects.update(created_at=two_days_ago, stage_entered_at=two_days_ago)
    return {"nadia": nadia, "karim": karim, "direct": direct, "group": group,
            "application": application}


def test_a_digest_of_what_waited_goes_out_once_in_the_persons_language(waiting, smtp_server):
    call_command("send_digests", stdout=open("/dev/null", "w"))
    [message] = smtp_server.messages
    assert message["To"] == "nadia@ministry.ma"
    assert "3" in message["Subject"] and "الشبكة الداخلية" in message["Subject"]
    text = smtp_server.text_of(message)
    assert "مرحبًا نادية الشرايبي" in text
    assert "بانتظار قرارك" in text and "الإشارات إليك" in text and "الرسائل المباشرة" in text
    # The sender's name in the reader's language, the count of unread messages.
    assert "كريم بنعلي: رسالتان غير مقروءتين" in text
    site = "https://intranet.example.gov.ma"
    assert f"{site}/chat/{waiting['direct'].pk}/" in text
    assert f"{site}{waiting['application'].get_absolute_url()}" in text
    assert f"{site}/chat/{waiting['group'].pk}/?around=1" in text
    assert f"{site}{reverse('profile_edit')}" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html and f'href="{site}/chat/{waiting["direct"].pk}/"' in html

    # Nothing new since: the next passes send nothing.
    call_command("send_digests", stdout=open("/dev/null", "w"))
    assert len(smtp_server.messages) == 1
    waiting["nadia"].refresh_from_db()
    assert waiting["nadia"].digest_sent_at is not None


def test_what_was_read_or_is_recent_is_not_sent(waiting, smtp_server):
    nadia = waiting["nadia"]
    Membership.objects.filter(user=nadia).update(last_read_seq=100)  # chat read
    Notification.objects.filter(recipient=nadia).update(read_at=timezone.now())
    Request.objects.update(stage_entered_at=timezone.now())  # waited an hour only
    call_command("send_digests", stdout=open("/dev/null", "w"))
    assert smtp_server.messages == []

    # With a four-hour delay, the application waiting five hours is due.
    Request.objects.update(stage_entered_at=timezone.now() - timedelta(hours=5))
    User.objects.filter(pk=nadia.pk).update(digest_hours=User.DigestDelay.HOURS_4,
                                            preferred_language="fr")
    call_command("send_digests", stdout=open("/dev/null", "w"))
    [message] = smtp_server.messages
    text = smtp_server.text_of(message)
    assert "Karim Benali" in text and "Mentions" not in text
    assert message["Subject"] == "1 élément vous attend sur l’intranet"


def test_nobody_gets_one_who_chose_never_or_has_no_address(waiting, smtp_server, client):
    nadia = waiting["nadia"]
    client.force_login(nadia)
    response = client.get(reverse("profile_edit"), HTTP_ACCEPT_LANGUAGE="ar")
    assert "أرسل إليّ بالبريد ما ينتظرني" in response.content.decode()
    response = client.post(reverse("profile_edit"), {
        "first_name": nadia.first_name, "last_name": nadia.last_name,
        "full_name_ar": nadia.full_name_ar, "email": nadia.email, "job_title": "",
        "preferred_language": "ar", "digest_hours": "0",
    })
    assert response.status_code == 302
    nadia.refresh_from_db()
    assert nadia.digest_hours == 0
    call_command("send_digests", stdout=open("/dev/null", "w"))
    assert smtp_server.messages == []

    User.objects.filter(pk=nadia.pk).update(digest_hours=24, email="")
    call_command("send_digests", stdout=open("/dev/null", "w"))
    assert smtp_server.messages == []


def test_a_refused_send_is_tried_again_at_the_next_pass(waiting, smtp_server, settings):
    from tests.multiproc import free_port

    settings.EMAIL_PORT = free_port()  # no mail server there
    call_command("send_digests", stdout=open("/dev/null", "w"))
    waiting["nadia"].refresh_from_db()
    assert waiting["nadia"].digest_sent_at is None  # the claim was given back

    settings.EMAIL_PORT = smtp_server.port
    call_command("send_digests", stdout=open("/dev/null", "w"))
    assert len(smtp_server.messages) == 1


def test_two_passes_at_once_send_one_digest(waiting, smtp_server):
    from collab.digests import send_digest

    # Both passes read Nadia before either sent anything.
    first, second = (User.objects.get(pk=waiting["nadia"].pk) for _ in range(2))
    now = timezone.now()
    assert send_digest(first, now) is True
    assert send_digest(second, now) is False  # the claim was taken
    assert len(smtp_server.messages) == 1
