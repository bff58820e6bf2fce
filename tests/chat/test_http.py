"""Chat pages, htmx fragments and the POST fallback."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from chat import services
from chat.models import Conversation, Membership, Message
from chat.text import fold

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_pages_need_a_login(two_directorates):
    channel_a, *_ = two_directorates
    for url in (reverse("chat:index"), reverse("chat:conversation", args=[channel_a.pk])):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_sidebar_shows_unread_counts_latest_first(two_directorates, user_factory):
    channel_a, _, a, _ = two_directorates
    dm = services.start_direct(a[1], a[0])
    services.send_message(a[0], channel_a.pk, "un")
    services.send_message(a[0], channel_a.pk, "deux")
    html = client_for(a[1]).get(reverse("chat:index")).content.decode()
    assert html.index(f'id="conv-{channel_a.pk}"') < html.index(f'id="conv-{dm.pk}"')
    assert 'data-count="2"' in html
    part = client_for(a[1]).get(reverse("chat:index") + "?part=sidebar").content.decode()
    assert part.lstrip().startswith("<li") and 'data-count="2"' in part


def test_conversation_page_for_members_only(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    services.send_message(a[0], channel_a.pk, "<script>alert('x')</script> مرحبا")
    response = client_for(a[1]).get(reverse("chat:conversation", args=[channel_a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; مرحبا" in html
    assert "<script>alert" not in html
    assert 'data-last-seq="1"' in html
    outsider = client_for(b[0])
    assert outsider.get(reverse("chat:conversation", args=[channel_a.pk])).status_code == 404
    assert outsider.get(reverse("chat:history", args=[channel_a.pk])).status_code == 404


def test_new_messages_divider_at_the_read_position(two_directorates):
    channel_a, _, a, _ = two_directorates
    for i in range(5):
        services.send_message(a[0], channel_a.pk, f"m{i}")
    services.mark_read(a[1], channel_a.pk, 3)
    html = client_for(a[1]).get(reverse("chat:conversation", args=[channel_a.pk])).content.decode()
    divider = html.index('class="new-divider"')
    assert html.index(f'id="msg-{channel_a.pk}-3"') < divider < html.index(
        f'id="msg-{channel_a.pk}-4"'
    )


def test_history_scroll_up_loads_older_pages(two_directorates):
    channel_a, _, a, _ = two_directorates
    for i in range(1, 46):
        Message.objects.create(conversation=channel_a, seq=i, author=a[0], body=f"n{i}")
    Conversation.objects.filter(pk=channel_a.pk).update(last_seq=45)
    client = client_for(a[1])
    page = client.get(reverse("chat:conversation", args=[channel_a.pk])).content.decode()
    assert f'id="msg-{channel_a.pk}-16"' in page and f'id="msg-{channel_a.pk}-15"' not in page
    assert "?before=16" in page
    older = client.get(reverse("chat:history", args=[channel_a.pk]) + "?before=16",
                       HTTP_HX_REQUEST="true").content.decode()
    assert f'id="msg-{channel_a.pk}-1"' in older and f'id="msg-{channel_a.pk}-15"' in older
    assert f'id="msg-{channel_a.pk}-16"' not in older and "?before=" not in older


def test_post_fallback_sends_when_the_socket_is_down(two_directorates):
    channel_a, _, a, b = two_directorates
    url = reverse("chat:send", args=[channel_a.pk])
    response = client_for(a[0]).post(url, {"body": "بدون مقبس", "reply_to": ""},
                                     HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().startswith("<article")
    assert Message.objects.get().body == "بدون مقبس"
    empty = client_for(a[0]).post(url, {"body": "   "}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 200 and 'class="composer-error"' in empty.content.decode()
    too_long = client_for(a[0]).post(url, {"body": "x" * 5000}, HTTP_HX_REQUEST="true")
    assert 'class="composer-error"' in too_long.content.decode()
    assert client_for(b[0]).post(url, {"body": "intrus"}).status_code == 404
    assert Message.objects.count() == 1


def test_read_over_http(two_directorates):
    channel_a, _, a, _ = two_directorates
    services.send_message(a[0], channel_a.pk, "x")
    response = client_for(a[1]).post(reverse("chat:read", args=[channel_a.pk]), {"seq": "1"})
    assert response.content == b"0"
    assert Membership.objects.get(user=a[1], conversation=channel_a).last_read_seq == 1


def test_group_management_over_http(user_factory):
    creator, x, y = user_factory(), user_factory(), user_factory()
    client = client_for(creator)
    response = client.post(reverse("chat:group_new"),
                           {"title": "فريق العمل", "members": f"{x.username}, @{y.username}"})
    group = Conversation.objects.get(kind="group")
    assert response["Location"] == reverse("chat:conversation", args=[group.pk])
    members = set(group.memberships.values_list("user_id", flat=True))
    assert members == {creator.pk, x.pk, y.pk}
    client.post(reverse("chat:rename", args=[group.pk]), {"title": "Équipe"})
    group.refresh_from_db()
    assert group.title == "Équipe"
    # The creator's page has a Remove button for each other member, posting
    # to that member's address; the other members' pages have none.
    page = client.get(reverse("chat:conversation", args=[group.pk])).content.decode()
    buttons = re.findall(r'<button type="submit" form="member-remove" formaction="([^"]+)"', page)
    assert sorted(buttons) == sorted(reverse("chat:remove", args=[group.pk, p.pk]) for p in (x, y))
    assert 'id="member-remove"' in page
    # The sidebar links to the conversation (its address made once per list).
    assert f'<a href="{reverse("chat:conversation", args=[group.pk])}" aria-current="page">' in page
    assert "member-remove" not in client_for(x).get(
        reverse("chat:conversation", args=[group.pk])).content.decode()
    # x may not remove y; the creator may.
    client_for(x).post(reverse("chat:remove", args=[group.pk, y.pk]))
    assert group.memberships.filter(user=y).exists()
    client.post(reverse("chat:remove", args=[group.pk, y.pk]))
    assert not group.memberships.filter(user=y).exists()
    client.post(reverse("chat:invite", args=[group.pk]), {"members": y.username})
    assert group.memberships.filter(user=y).exists()
    client_for(x).post(reverse("chat:leave", args=[group.pk]))
    assert not group.memberships.filter(user=x).exists()
    page = client.get(reverse("chat:conversation", args=[group.pk])).content.decode()
    assert "Équipe" in page
    empty = client.post(reverse("chat:group_new"), {"title": " "}, follow=True)
    assert Conversation.objects.filter(kind="group").count() == 1
    assert empty.status_code == 200


def test_start_a_direct_message_from_profile_and_directory(two_directorates):
    _, _, a, b = two_directorates
    client = client_for(a[0])
    profile = client.get(reverse("profile", args=[b[0].username])).content.decode()
    assert reverse("chat:direct", args=[b[0].username]) in profile
    directory = client.get(reverse("directory")).content.decode()
    assert reverse("chat:direct", args=[b[0].username]) in directory
    response = client.post(reverse("chat:direct", args=[b[0].username]))
    dm = Conversation.objects.get(kind="direct")
    assert response["Location"] == reverse("chat:conversation", args=[dm.pk])
    client.post(reverse("chat:direct", args=[b[0].username]))
    assert Conversation.objects.filter(kind="direct").count() == 1
    own = client.get(reverse("profile", args=[a[0].username])).content.decode()
    assert reverse("chat:direct", args=[a[0].username]) not in own


def test_folding_covers_arabic_variants_and_french_accents():
    assert fold("أحمد") == fold("احمد") == fold("إحمد") == fold("آحمد")
    assert fold("مستشفى") == fold("مستشفي")
    assert fold("مدرسة") == fold("مدرسه")
    assert fold("مُدَرِّسَة") == fold("مدرسه")
    assert fold("كـــتاب") == fold("كتاب")
    assert fold("Réunion à l'Hôtel") == fold("reunion a l'hotel")


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("اجتماع المدرسة غدا", "مدرسه"),
        ("مدرسة جديدة", "المدرسة"),
        ("ذهبت بالسيارة", "سياره"),
        ("الاجتماع في المستشفى", "مستشفي"),
        ("أحمد سيحضر", "احمد"),
        ("قَرَأَ الكِتَابَ", "كتاب"),
        ("كتـــاب جديد", "كتاب"),
        ("Réunion élargie demain", "reunion elargie"),
        ("la reunion du comite", "Réunion comité"),
    ],
)
def test_search_finds_a_word_however_it_was_typed(two_directorates, stored, query):
    channel_a, _, a, _ = two_directorates
    message = services.send_message(a[0], channel_a.pk, stored)
    services.send_message(a[0], channel_a.pk, "sans rapport")
    html = client_for(a[1]).get(reverse("chat:search"), {"q": query}).content.decode()
    assert f"?around={message.seq}#msg-{channel_a.pk}-{message.seq}" in html
    assert "sans rapport" not in html


def test_search_is_limited_to_the_users_conversations(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    services.send_message(b[0], channel_b.pk, "ميزانية سرية")
    mine = services.send_message(a[0], channel_a.pk, "ميزانية عامة")
    gone = services.send_message(a[0], channel_a.pk, "ميزانية محذوفة")
    services.delete_message(a[0], channel_a.pk, gone.seq)
    html = client_for(a[1]).get(reverse("chat:search"), {"q": "ميزانيه"},
                                HTTP_HX_REQUEST="true").content.decode()
    assert "عامة" in html and "سرية" not in html and "محذوفة" not in html
    assert f"#msg-{channel_a.pk}-{mine.seq}" in html


def test_search_result_opens_the_message_in_context(two_directorates):
    channel_a, _, a, _ = two_directorates
    for i in range(1, 80):
        Message.objects.create(conversation=channel_a, seq=i, author=a[0], body=f"n{i}")
    Conversation.objects.filter(pk=channel_a.pk).update(last_seq=79)
    page = client_for(a[1]).get(
        reverse("chat:conversation", args=[channel_a.pk]) + "?around=10"
    ).content.decode()
    assert f'id="msg-{channel_a.pk}-10"' in page and f'id="msg-{channel_a.pk}-79"' not in page


def test_administrator_creates_a_ministry_channel_in_the_admin(user_factory, directorate):
    admin_user = user_factory(directorate=directorate, role="administrator",
                              is_staff=True, is_superuser=True)
    staff = user_factory(directorate=directorate)
    response = client_for(admin_user).post(
        reverse("admin:chat_conversation_add"),
        {"title": "كل الموظفين", "posting_roles": '["communication_officer"]'},
    )
    assert response.status_code == 302
    channel = Conversation.objects.get(kind="ministry")
    assert channel.posting_roles == ["communication_officer"]
    assert channel.memberships.filter(user=staff).exists()


def test_errors_come_in_the_users_language(two_directorates):
    channel_a, _, a, _ = two_directorates
    url = reverse("chat:send", args=[channel_a.pk])
    client = client_for(a[0])
    client.cookies["django_language"] = "fr"
    a[0].preferred_language = "fr"
    a[0].save()
    html = client.post(url, {"body": ""}, HTTP_HX_REQUEST="true").content.decode()
    assert "Un message ne peut pas être vide." in html


def test_a_script_shows_as_text_in_search_and_notifications(two_directorates):
    channel_a, _, a, _ = two_directorates
    services.send_message(a[0], channel_a.pk, f"@{a[1].username} <script>alert(1)</script> تقرير")
    client = client_for(a[1])
    for url in (reverse("chat:search") + "?q=تقرير", reverse("notifications"),
                reverse("notification_panel")):
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(
        reverse("chat:search") + "?q=تقرير"
    ).content.decode()
