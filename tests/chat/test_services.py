"""Chat rules through the service and selector functions."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import OperationalError, connection, connections
from django.test.utils import CaptureQueriesContext

from chat import selectors, services
from chat.models import MAX_MESSAGE_LENGTH, Conversation, Membership, Message
from chat.services import ChatError
from collab import services as collab_services
from collab.models import Notification

pytestmark = pytest.mark.django_db


def member_ids(conversation):
    return set(conversation.memberships.values_list("user_id", flat=True))


def test_directorate_staff_are_members_of_its_channel(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    assert channel_a.kind == Conversation.Kind.DIRECTORATE
    assert member_ids(channel_a) == {u.pk for u in a}
    assert member_ids(channel_b) == {u.pk for u in b}


def test_changing_directorate_moves_the_channel_membership(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    mover = a[0]
    mover.directorate = channel_b.directorate
    mover.save()
    assert mover.pk not in member_ids(channel_a)
    assert mover.pk in member_ids(channel_b)
    mover.directorate = None
    mover.save()
    assert mover.pk not in member_ids(channel_b)


def test_new_directorate_opens_a_channel(directorate_factory):
    directorate = directorate_factory()
    assert Conversation.objects.filter(directorate=directorate).exists()


def test_seq_numbers_follow_each_other_per_conversation(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    seqs = [services.send_message(a[0], channel_a.pk, f"m{i}").seq for i in range(3)]
    assert seqs == [1, 2, 3]
    assert services.send_message(b[0], channel_b.pk, "autre").seq == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_get_distinct_consecutive_seqs(two_directorates, settings):
    settings.CHAT_RATE_LIMIT = (1000, 10)
    channel_a, _, a, _ = two_directorates
    errors = []

    def sender(user, n):
        try:
            for i in range(n):
                for _attempt in range(50):
                    try:
                        services.send_message(user, channel_a.pk, f"{user.pk}-{i}")
                        break
                    except OperationalError as exc:
                        # The test database on SQLite is in memory with a shared
                        # cache, which reports "table is locked" instead of
                        # waiting; the write was rolled back, so try again.
                        if connection.vendor != "sqlite":
                            raise
                        last = exc
                        time.sleep(0.02)
                else:
                    raise last
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(u, 10)) for u in a * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(Message.objects.filter(conversation=channel_a).values_list("seq", flat=True))
    assert seqs == list(range(1, 41))


def test_only_members_can_post(two_directorates):
    channel_a, _, _, b = two_directorates
    with pytest.raises(ChatError) as err:
        services.send_message(b[0], channel_a.pk, "intrus")
    assert err.value.code == "unknown_conversation"
    with pytest.raises(ChatError):
        services.send_message(b[0], 999999, "nowhere")
    assert not Message.objects.exists()


@pytest.mark.parametrize("body", ["", "   \n  ", "x" * (MAX_MESSAGE_LENGTH + 1)])
def test_empty_and_too_long_messages_are_refused(two_directorates, body):
    channel_a, _, a, _ = two_directorates
    with pytest.raises(ChatError) as err:
        services.send_message(a[0], channel_a.pk, body)
    assert err.value.code in {"empty_message", "message_too_long"}
    assert not Message.objects.exists()
    channel_a.refresh_from_db()
    assert channel_a.last_seq == 0


def test_message_of_maximum_length_is_accepted(two_directorates):
    channel_a, _, a, _ = two_directorates
    assert services.send_message(a[0], channel_a.pk, "ب" * MAX_MESSAGE_LENGTH).seq == 1


def test_rate_limit_refuses_clearly_and_keeps_what_was_accepted(two_directorates, settings):
    settings.CHAT_RATE_LIMIT = (5, 60)
    channel_a, _, a, _ = two_directorates
    for i in range(5):
        services.send_message(a[0], channel_a.pk, f"m{i}")
    with pytest.raises(ChatError) as err:
        services.send_message(a[0], channel_a.pk, "one too many")
    assert err.value.code == "rate_limited"
    assert list(Message.objects.order_by("seq").values_list("body", flat=True)) == [
        f"m{i}" for i in range(5)
    ]
    # Another user is not limited by the first one's rate.
    assert services.send_message(a[1], channel_a.pk, "moi").seq == 6


def test_ministry_channel_with_posting_roles(user_factory, directorate):
    admin = user_factory(directorate=directorate, role="administrator")
    staff = user_factory(directorate=directorate)
    officer = user_factory(directorate=directorate, role="communication_officer")
    with pytest.raises(ChatError):
        services.create_ministry_channel(staff, "Tous")
    channel = services.create_ministry_channel(
        admin, "Tout le personnel", ["communication_officer"]
    )
    assert {staff.pk, officer.pk, admin.pk} <= member_ids(channel)
    with pytest.raises(ChatError) as err:
        services.send_message(staff, channel.pk, "hello")
    assert err.value.code == "not_allowed"
    assert services.send_message(officer, channel.pk, "Annonce").seq == 1
    newcomer = user_factory(directorate=directorate)
    assert newcomer.pk in member_ids(channel)


def test_direct_conversation_is_unique_per_pair(user_factory):
    a, b = user_factory(), user_factory()
    first = services.start_direct(a, b)
    assert services.start_direct(b, a).pk == first.pk
    assert member_ids(first) == {a.pk, b.pk}
    with pytest.raises(ChatError):
        services.start_direct(a, a)


def test_group_lifecycle(user_factory):
    creator, x, y, z = (user_factory() for _ in range(4))
    group = services.create_group(creator, "Projet", [x.pk])
    assert member_ids(group) == {creator.pk, x.pk}
    assert services.add_members(x, group.pk, [y.pk]) == 1
    with pytest.raises(ChatError):
        services.remove_member(x, group.pk, y.pk)  # only the creator removes
    services.remove_member(creator, group.pk, y.pk)
    assert y.pk not in member_ids(group)
    with pytest.raises(ChatError):
        services.rename(x, group.pk, "Autre")
    services.rename(creator, group.pk, "مشروع")
    group.refresh_from_db()
    assert group.title == "مشروع"
    services.leave(x, group.pk)
    assert member_ids(group) == {creator.pk}
    with pytest.raises(ChatError):
        services.add_members(z, group.pk, [z.pk])  # not a member
    with pytest.raises(ChatError):
        services.create_group(creator, "   ")


def test_edit_and_delete_only_own_messages_and_record_changes(two_directorates):
    channel_a, _, a, _ = two_directorates
    m = services.send_message(a[0], channel_a.pk, "premier")
    with pytest.raises(ChatError):
        services.edit_message(a[1], channel_a.pk, m.seq, "pirate")
    with pytest.raises(ChatError):
        services.delete_message(a[1], channel_a.pk, m.seq)
    edited = services.edit_message(a[0], channel_a.pk, m.seq, "corrigé")
    assert edited.change == 1 and edited.edited_at is not None
    deleted = services.delete_message(a[0], channel_a.pk, m.seq)
    assert deleted.change == 2
    m.refresh_from_db()
    assert m.is_deleted and m.body == "" and m.search_text == ""
    with pytest.raises(ChatError):
        services.edit_message(a[0], channel_a.pk, m.seq, "revenant")


def test_reactions_toggle_and_pins(two_directorates):
    channel_a, _, a, _ = two_directorates
    m = services.send_message(a[0], channel_a.pk, "bravo")
    assert services.react(a[1], channel_a.pk, m.seq, "👍") is True
    assert services.react(a[0], channel_a.pk, m.seq, "👍") is True
    assert services.react(a[1], channel_a.pk, m.seq, "👍") is False
    with pytest.raises(ChatError):
        services.react(a[1], channel_a.pk, m.seq, "💩")
    services.pin(a[1], channel_a.pk, m.seq, True)
    assert [p.seq for p in selectors.pinned(channel_a)] == [m.seq]
    html = services.render_message(Message.objects.get(pk=m.pk))
    assert f'data-users="{a[0].pk}"' in html and "is-pinned" in html


def test_reply_quotes_the_original(two_directorates):
    channel_a, _, a, _ = two_directorates
    first = services.send_message(a[0], channel_a.pk, "السؤال الأول")
    reply = services.send_message(a[1], channel_a.pk, "الجواب", reply_to=first.seq)
    html = services.render_message(reply)
    assert "msg-quote" in html and "السؤال الأول" in html
    with pytest.raises(ChatError):
        services.send_message(a[1], channel_a.pk, "x", reply_to=999)


def test_read_state_and_unread_counts(two_directorates):
    channel_a, _, a, _ = two_directorates
    for i in range(4):
        services.send_message(a[0], channel_a.pk, f"m{i}")
    items = {i.pk: i for i in selectors.conversations_for(a[1])}
    assert items[channel_a.pk].unread == 4
    assert items_for(a[0])[channel_a.pk].unread == 0  # own messages are read
    assert services.mark_read(a[1], channel_a.pk, 3) == 1
    assert services.mark_read(a[1], channel_a.pk, 1) == 1  # never moves back
    assert services.mark_read(a[1], channel_a.pk, 99) == 0  # clipped to the last seq
    assert Membership.objects.get(user=a[1], conversation=channel_a).last_read_seq == 4


def items_for(user):
    return {i.pk: i for i in selectors.conversations_for(user)}


def test_sidebar_lists_latest_activity_first(user_factory):
    a, b, c = user_factory(), user_factory(), user_factory()
    dm_b = services.start_direct(a, b)
    dm_c = services.start_direct(a, c)
    services.send_message(b, dm_b.pk, "plus tard")
    order = [i.pk for i in selectors.conversations_for(a)]
    assert order.index(dm_b.pk) < order.index(dm_c.pk)
    assert items_for(a)[dm_b.pk].title == b.display_name


def test_history_pages_with_keyset_never_offset(two_directorates):
    channel_a, _, a, _ = two_directorates
    for i in range(1, 71):
        Message.objects.create(conversation=channel_a, seq=i, author=a[0], body=f"m{i}")
    with CaptureQueriesContext(connection) as queries:
        page, older = selectors.history(channel_a)
    assert [m.seq for m in page] == list(range(41, 71))
    assert older == 41
    page2, older2 = selectors.history(channel_a, before_seq=older)
    assert [m.seq for m in page2] == list(range(11, 41))
    page3, older3 = selectors.history(channel_a, before_seq=older2)
    assert [m.seq for m in page3] == list(range(1, 11)) and older3 is None
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)


def test_resync_returns_exactly_what_was_missed(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    for i in range(1, 4):
        services.send_message(a[0], channel_a.pk, f"seen {i}")
    channel_a.refresh_from_db()
    cursor = [channel_a.last_seq, channel_a.last_change]
    services.edit_message(a[0], channel_a.pk, 2, "seen 2 edited")
    services.delete_message(a[0], channel_a.pk, 3)
    for i in range(4, 7):
        services.send_message(a[1], channel_a.pk, f"missed {i}")
    services.edit_message(a[1], channel_a.pk, 5, "missed 5 edited")
    reply = selectors.resync(a[1], {str(channel_a.pk): cursor, str(channel_b.pk): [0, 0]})
    data = reply["conversations"][str(channel_a.pk)]
    assert [m["seq"] for m in data["messages"]] == [4, 5, 6]
    assert "missed 5 edited" in data["messages"][1]["html"]
    assert [(c["seq"], c["deleted"]) for c in data["changes"]] == [(2, False), (3, True)]
    assert "seen 2 edited" in data["changes"][0]["html"]
    # Not a member of channel b: nothing from it, it is reported gone.
    assert str(channel_b.pk) not in reply["conversations"]
    assert reply["gone"] == [str(channel_b.pk)]
    # Resyncing from the new cursor returns nothing.
    channel_a.refresh_from_db()
    again = selectors.resync(a[1], {str(channel_a.pk): [channel_a.last_seq, channel_a.last_change]})
    assert again["conversations"][str(channel_a.pk)]["messages"] == []
    assert again["conversations"][str(channel_a.pk)]["changes"] == []


def test_mentions_notify_members_only(two_directorates, user_factory):
    channel_a, _, a, b = two_directorates
    services.send_message(a[0], channel_a.pk, f"@{a[1].username} et @{b[0].username} <b>?</b>")
    notes = list(Notification.objects.all())
    assert [n.recipient_id for n in notes] == [a[1].pk]
    assert notes[0].kind == "chat.mention"
    assert f"#msg-{channel_a.pk}-1" in notes[0].link


def test_socket_groups_are_the_users_conversations(two_directorates):
    channel_a, channel_b, a, _ = two_directorates
    groups = selectors.socket_groups(a[0])
    assert f"conversation.{channel_a.pk}" in groups
    assert f"conversation.{channel_b.pk}" not in groups


def test_send_inserts_one_message_and_no_query_per_recipient(two_directorates, user_factory):
    channel_a, _, a, _ = two_directorates
    for _ in range(10):
        user_factory(directorate=channel_a.directorate)
    services.send_message(a[0], channel_a.pk, "warm up")
    with CaptureQueriesContext(connection) as small:
        services.send_message(a[0], channel_a.pk, "one")
    for _ in range(30):
        user_factory(directorate=channel_a.directorate)
    with CaptureQueriesContext(connection) as large:
        services.send_message(a[0], channel_a.pk, "two")
    # On PostgreSQL the insert is part of one statement (WITH ... INSERT ...).
    inserts = sum(q["sql"].upper().count("INSERT INTO") for q in large.captured_queries)
    assert inserts == 1
    assert Message.objects.filter(conversation=channel_a, body="two").count() == 1
    assert len(large.captured_queries) == len(small.captured_queries)


def test_attachments_hook_renders_files_with_the_message(two_directorates):
    channel_a, _, a, _ = two_directorates
    message = services.send_message(
        a[0], channel_a.pk, "التقرير",
        attachments=[{"name": "<b>rapport</b>.pdf", "url": "/files/1/", "size": 10}],
    )
    html = services.render_message(message)
    assert 'href="/files/1/"' in html and "&lt;b&gt;rapport&lt;/b&gt;.pdf" in html


def test_attachment_message_without_text_states_and_unsafe_links(two_directorates):
    channel_a, _, a, b = two_directorates
    message = services.send_message(
        a[0], channel_a.pk, "",
        attachments=[
            {"file_id": 4, "name": "scan.png", "url": "/files/4/download/?v=1", "size": 2048,
             "state": "checking", "thumbnail": "/files/4/thumbnail/?v=1"},
            {"name": "evil", "url": "javascript:alert(1)", "size": 1},
            {"name": "x", "url": "/x", "size": 1, "thumbnail": "//evil.example/t.png",
             "state": "<b>"},
        ],
    )
    assert [f["name"] for f in message.attachments] == ["scan.png", "x"]
    assert "thumbnail" not in message.attachments[1] and "state" not in message.attachments[1]
    html = services.render_message(message, "en")
    assert "Being checked" in html and "/files/4/download/" not in html
    assert "javascript:" not in html and "//evil.example" not in html
    # The file name is what search and the sidebar preview show.
    assert [m.pk for m in selectors.search(a[1], "scan")] == [message.pk]
    with pytest.raises(ChatError):  # no text and no attachment: still refused
        services.send_message(a[0], channel_a.pk, "", attachments=[{"name": "y", "url": "data:"}])
    # The files app ends the check: the same attachment becomes a link, as a change.
    before = message.change
    services.update_attachment(message.pk, {
        "file_id": 4, "name": "scan.png", "url": "/files/4/download/?v=1", "size": 2048,
        "thumbnail": "/files/4/thumbnail/?v=1",
    })
    message.refresh_from_db()
    assert message.change > before and "state" not in message.attachments[0]
    html = services.render_message(message, "en")
    assert 'href="/files/4/download/?v=1"' in html and 'src="/files/4/thumbnail/?v=1"' in html
    # An attachment the message does not carry changes nothing.
    services.update_attachment(message.pk, {"file_id": 5, "name": "z", "url": "/z", "size": 1})
    assert Message.objects.get(pk=message.pk).change == message.change
    assert not selectors.search(b[0], "scan")  # not a member of that channel


def test_payload_carries_the_languages_of_the_members(two_directorates):
    channel_a, _, a, _ = two_directorates
    a[1].preferred_language = "fr"
    a[1].save()
    message = services.send_message(a[0], channel_a.pk, "texte")
    message = services.edit_message(a[0], channel_a.pk, message.seq, "texte corrigé")
    html = services.render_message_all(Message.objects.get(pk=message.pk))
    assert sorted(html) == ["ar", "fr"]
    assert "(modifié)" in html["fr"] and "(معدّلة)" in html["ar"]


def test_languages_follow_members_joining_leaving_and_switching(two_directorates, user_factory):
    channel_a, _, a, _ = two_directorates
    assert list(services.send_message(a[0], channel_a.pk, "1").html_by_language) == ["ar"]
    # A member switching language (the language menu): the next message has it too.
    collab_services.set_preferred_language(a[1], "en")
    assert list(services.send_message(a[0], channel_a.pk, "2").html_by_language) == ["ar", "en"]
    # A French speaker joins the directorate, then leaves it.
    newcomer = user_factory(directorate=channel_a.directorate, preferred_language="fr")
    assert list(services.send_message(a[0], channel_a.pk, "3").html_by_language) == [
        "ar", "fr", "en",
    ]
    newcomer.directorate = None
    newcomer.save()
    assert list(services.send_message(a[0], channel_a.pk, "4").html_by_language) == ["ar", "en"]


def test_presence_expires_without_heartbeat(monkeypatch, two_directorates):
    from chat import live

    _, _, a, _ = two_directorates
    monkeypatch.setattr(live, "PRESENCE_TTL", 0.3)
    live.set_presence(a[0].pk, "online")
    live.set_presence(a[1].pk, "away")
    assert live.presence_of([a[0].pk, a[1].pk]) == {a[0].pk: "online", a[1].pk: "away"}
    time.sleep(0.5)
    assert live.presence_of([a[0].pk, a[1].pk]) == {a[0].pk: "offline", a[1].pk: "offline"}


def test_resync_of_a_long_absence_comes_in_pages_without_loss(two_directorates, settings):
    channel_a, _, a, _ = two_directorates
    Message.objects.bulk_create(
        Message(conversation=channel_a, seq=i, author=a[0], body=f"n{i}") for i in range(1, 206)
    )
    Conversation.objects.filter(pk=channel_a.pk).update(last_seq=205)
    settings.WEBSOCKET_MAX_FRAME_BYTES = 16384
    cursor, seqs, pages = [0, 0], [], []
    # Conversations the reader left (or never joined) are named in each reply too.
    gone = {str(10**9 + n): [0, 0] for n in range(50)}
    while True:
        reply = selectors.resync(a[1], {str(channel_a.pk): cursor, **gone})
        page = reply["conversations"][str(channel_a.pk)]
        # The frame the socket sends, with a ref longer than any chat.js uses.
        frame = {"type": "reply", "action": "chat.resync", "data": reply, "ref": "r" * 200}
        pages.append(len(json.dumps(frame, ensure_ascii=False, separators=(",", ":")).encode()))
        seqs.extend(m["seq"] for m in page["messages"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert seqs == list(range(1, 206))
    assert len(pages) > 2
    # Every page fits the frame, and fills most of it.
    assert max(pages) <= 16384
    assert min(pages[:-1]) > 16384 * 3 // 4