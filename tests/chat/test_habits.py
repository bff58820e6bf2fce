"""Chat habits served by the server: who is alerted (mute), the Chat tab's unread
count, @mention candidates with Arabic folding, mentions shown as names, search
results with conversation, date and highlighted words, `lang` on messages."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse

from chat import services
from chat.models import Membership
from tests.conftest import connect_socket

from .conftest import call, frames_until, is_event


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_mute_is_kept_per_member_and_refused_to_outsiders(two_directorates):
    channel_a, _, a, b = two_directorates
    url = reverse("chat:mute", args=[channel_a.pk])
    response = client_for(a[0]).post(url, {"muted": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'aria-pressed="true"' in response.content.decode()
    assert Membership.objects.get(user=a[0], conversation=channel_a).muted
    assert not Membership.objects.get(user=a[1], conversation=channel_a).muted
    page = client_for(a[0]).get(reverse("chat:conversation", args=[channel_a.pk])).content.decode()
    assert 'name="muted" value="0"' in page
    assert client_for(b[0]).post(url, {"muted": "1"}).status_code == 404
    client_for(a[0]).post(url, {"muted": "0"})
    assert not Membership.objects.get(user=a[0], conversation=channel_a).muted


@pytest.mark.django_db
def test_chat_tab_shows_the_unread_total_on_every_page(two_directorates):
    channel_a, _, a, _ = two_directorates
    dm = services.start_direct(a[0], a[1])
    services.send_message(a[0], channel_a.pk, "un")
    services.send_message(a[0], dm.pk, "deux")
    services.send_message(a[0], dm.pk, "trois")
    html = client_for(a[1]).get(reverse("home")).content.decode()
    assert 'id="chat-unread-total" data-count="3"' in html
    services.mark_read(a[1], dm.pk, 2)
    html = client_for(a[1]).get(reverse("directory")).content.decode()
    assert 'id="chat-unread-total" data-count="1"' in html
    assert 'id="chat-unread-total" data-count="0" hidden' in client_for(a[0]).get(
        reverse("home")).content.decode()


@pytest.mark.django_db
def test_mention_candidates_fold_arabic_and_latin_names(two_directorates, user_factory):
    channel_a, _, a, b = two_directorates
    a[1].full_name_ar, a[1].first_name, a[1].last_name = "فاطمة الزهراء", "Fatima", "Zahrâ"
    a[1].save()
    url = reverse("chat:mentions", args=[channel_a.pk])
    me = client_for(a[0])
    for query in ("فاطمه", "الزهراء", "zahra", "FAT", "@fatima"):
        people = me.get(url, {"q": query}).json()["people"]
        assert [p["username"] for p in people] == [a[1].username], query
    assert me.get(url, {"q": "nobody-at-all"}).json()["people"] == []
    # Only members of the conversation, and only for members.
    assert me.get(url, {"q": b[0].first_name}).json()["people"] == []
    assert client_for(b[0]).get(url, {"q": "fat"}).status_code == 404


@pytest.mark.django_db
def test_mention_shows_the_name_isolated_and_messages_carry_lang(two_directorates):
    channel_a, _, a, _ = two_directorates
    a[1].full_name_ar = "فاطمة الزهراء"
    a[1].save()
    services.send_message(a[0], channel_a.pk, f"@{a[1].username} la réunion est à dix heures")
    ar = client_for(a[0])
    ar.cookies["django_language"] = "ar"
    html = ar.get(reverse("chat:conversation", args=[channel_a.pk]),
                  headers={"Accept-Language": "ar"}).content.decode()
    assert f'data-mention="{a[1].username}">@<bdi>فاطمة الزهراء</bdi>' in html
    assert 'lang="fr"' in html
    services.send_message(a[0], channel_a.pk, "الاجتماع في العاشرة")
    html = ar.get(reverse("chat:conversation", args=[channel_a.pk])).content.decode()
    assert 'dir="auto" lang="ar"' in html


@pytest.mark.django_db
def test_search_results_show_conversation_date_and_folded_highlights(two_directorates):
    channel_a, _, a, _ = two_directorates
    services.send_message(a[0], channel_a.pk, "زيارة المدرسة غدا")
    html = client_for(a[1]).get(reverse("chat:search"), {"q": "مدرسه"}).content.decode()
    assert '<mark class="hit">المدرسة</mark>' in html
    title = channel_a.directorate.name
    assert f'<bdi class="hit-conversation">{title}</bdi>' in html and "<time datetime=" in html
    assert "?around=1#msg-" in html


@pytest.mark.django_db(transaction=True)
async def test_direct_messages_and_mentions_alert_unless_muted(two_directorates):
    channel_a, _, a, _ = two_directorates
    dm = await sync_to_async(services.start_direct)(a[0], a[1])
    sock, connected, _ = await connect_socket(a[1])
    assert connected
    sender, connected, _ = await connect_socket(a[0])
    assert connected
    await call(sender, "chat.send", {"conversation": dm.pk, "body": "salut"}, ref="s1")
    frame = await frames_until(sock, is_event("chat.message", conversation=dm.pk))
    assert frame["data"]["alert"] == [a[1].pk]
    await call(sender, "chat.send", {"conversation": channel_a.pk, "body": "rien"}, ref="s2")
    frame = await frames_until(sock, is_event("chat.message", conversation=channel_a.pk))
    assert frame["data"]["alert"] == []
    await call(sender, "chat.send", {"conversation": channel_a.pk,
                                     "body": f"@{a[1].username} voir"}, ref="s3")
    frame = await frames_until(sock, is_event("chat.message", conversation=channel_a.pk, seq=2))
    assert frame["data"]["alert"] == [a[1].pk]
    await sync_to_async(services.set_muted)(a[1], dm.pk, True)
    await call(sender, "chat.send", {"conversation": dm.pk, "body": "encore"}, ref="s4")
    frame = await frames_until(sock, is_event("chat.message", conversation=dm.pk, seq=2))
    assert frame["data"]["alert"] == []
    # Reading tells every tab the Chat tab's new total.
    await call(sock, "chat.read", {"conversation": dm.pk, "seq": 2}, ref="r1")
    read = await frames_until(sock, is_event("chat.read", conversation=dm.pk))
    assert read["data"]["unread"] == 0 and read["data"]["total"] == 2
    await sock.disconnect()
    await sender.disconnect()
