"""Chat rules through the one WebSocket (/ws/)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from chat import services
from chat.models import MAX_MESSAGE_LENGTH, Message
from tests.conftest import connect_socket

from .conftest import call, collect_until, drain, frames_until, is_event

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(user):
    communicator, connected, _code = await connect_socket(user)
    assert connected
    hello = await frames_until(communicator, lambda f: f["type"] == "hello")
    assert hello["user"]["id"] == user.pk
    return communicator


def events_named(frames, name):
    return [f for f in frames if f.get("type") == "event" and f["event"] == name]


async def test_members_receive_messages_and_another_directorate_never_does(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    sender, reader, outsider = [await open_socket(u) for u in (a[0], a[1], b[0])]
    body = "سلام **عليكم**"
    reply = await call(sender, "chat.send", {"conversation": channel_a.pk, "body": body})
    assert reply["type"] == "reply" and reply["data"]["seq"] == 1
    event = await frames_until(reader, is_event("chat.message", conversation=channel_a.pk))
    assert event["data"]["seq"] == 1 and event["data"]["author_id"] == a[0].pk
    assert "<strong>عليكم</strong>" in event["data"]["html"]["ar"]
    assert 'dir="auto"' in event["data"]["html"]["ar"]
    # Only the languages the members use are rendered (all of them prefer Arabic).
    assert list(event["data"]["html"]) == ["ar"]
    # The other directorate's member gets nothing; its own channel works.
    await call(outsider, "chat.send", {"conversation": channel_b.pk, "body": "bonjour"})
    outsider_got = events_named(
        await collect_until(outsider, is_event("chat.message", conversation=channel_b.pk))
        + await drain(outsider),
        "chat.message",
    )
    assert [f["data"]["conversation"] for f in outsider_got] == [channel_b.pk]
    leaked = [
        f for f in events_named(await drain(reader), "chat.message")
        if f["data"]["conversation"] != channel_a.pk
    ]
    assert leaked == []
    for s in (sender, reader, outsider):
        await s.disconnect()


async def test_outsider_socket_never_sees_a_directorate_message(two_directorates):
    channel_a, channel_b, a, b = two_directorates
    outsider = await open_socket(b[0])
    sender = await open_socket(a[0])
    for i in range(3):
        await call(sender, "chat.send", {"conversation": channel_a.pk, "body": f"secret {i}"},
                   ref=f"s{i}")
    # The sender's own socket gets the last one: by then the outsider would have too.
    await frames_until(sender, is_event("chat.message", conversation=channel_a.pk, seq=3))
    frames = await drain(outsider, 0.3)
    assert not any("secret" in str(f) for f in frames)
    # And it cannot read them by resync either.
    reply = await call(outsider, "chat.resync", {"conversations": {str(channel_a.pk): [0, 0]}})
    assert reply["data"] == {"conversations": {}, "gone": [str(channel_a.pk)]}
    await outsider.disconnect()
    await sender.disconnect()


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty_message"), ("  \n ", "empty_message"),
     ("x" * (MAX_MESSAGE_LENGTH + 1), "message_too_long")],
)
async def test_bad_messages_get_error_events_and_persist_nothing(two_directorates, body, code):
    channel_a, *_rest = two_directorates
    a = _rest[1]
    sock = await open_socket(a[0])
    reply = await call(sock, "chat.send", {"conversation": channel_a.pk, "body": body})
    assert reply["type"] == "error" and reply["code"] == code and reply["message"]
    assert await sync_to_async(Message.objects.count)() == 0
    await sock.disconnect()


async def test_unknown_or_foreign_conversations_are_refused(two_directorates):
    channel_a, channel_b, a, _b = two_directorates
    sock = await open_socket(a[0])
    for conversation in (channel_b.pk, 987654):
        for action, data in [
            ("chat.send", {"conversation": conversation, "body": "x"}),
            ("chat.read", {"conversation": conversation, "seq": 1}),
            ("chat.typing", {"conversation": conversation}),
            ("chat.react", {"conversation": conversation, "seq": 1, "emoji": "👍"}),
            ("chat.pin", {"conversation": conversation, "seq": 1, "pinned": True}),
            ("chat.edit", {"conversation": conversation, "seq": 1, "body": "x"}),
            ("chat.delete", {"conversation": conversation, "seq": 1}),
        ]:
            reply = await call(sock, action, data)
            assert reply["type"] == "error", action
            assert reply["code"] == "unknown_conversation", action
    bad = await call(sock, "chat.send", {"conversation": "abc", "body": "x"})
    assert bad["code"] == "bad_payload"
    assert await sync_to_async(Message.objects.count)() == 0
    await sock.disconnect()


async def test_rate_limit_error_drops_nothing_accepted(two_directorates, settings):
    settings.CHAT_RATE_LIMIT = (3, 60)
    channel_a, _, a, _ = two_directorates
    sender, reader = await open_socket(a[0]), await open_socket(a[1])
    codes = []
    for i in range(5):
        reply = await call(sender, "chat.send", {"conversation": channel_a.pk, "body": f"m{i}"},
                           ref=f"m{i}")
        codes.append(reply.get("code", "ok"))
    assert codes == ["ok", "ok", "ok", "rate_limited", "rate_limited"]
    received = events_named(
        await collect_until(reader, is_event("chat.message", seq=3)) + await drain(reader),
        "chat.message",
    )
    assert [f["data"]["seq"] for f in received] == [1, 2, 3]
    bodies = await sync_to_async(lambda: list(Message.objects.values_list("body", flat=True)))()
    assert sorted(bodies) == ["m0", "m1", "m2"]
    await sender.disconnect()
    await reader.disconnect()


async def test_reconnect_resync_returns_exactly_the_missed_messages_and_changes(two_directorates):
    channel_a, _, a, _ = two_directorates
    sender = await open_socket(a[0])
    reader = await open_socket(a[1])
    for i in range(1, 4):
        await call(sender, "chat.send", {"conversation": channel_a.pk, "body": f"before {i}"},
                   ref=f"b{i}")
    seen = events_named(
        await collect_until(reader, is_event("chat.message", seq=3)), "chat.message"
    )
    assert [f["data"]["seq"] for f in seen] == [1, 2, 3]
    last_seq, last_change = 3, 0
    await reader.disconnect()  # the reader goes offline
    await call(sender, "chat.edit", {"conversation": channel_a.pk, "seq": 2, "body": "edited"})
    await call(sender, "chat.delete", {"conversation": channel_a.pk, "seq": 3}, ref="d")
    for i in range(4, 8):
        await call(sender, "chat.send", {"conversation": channel_a.pk, "body": f"while away {i}"},
                   ref=f"w{i}")
    reader = await open_socket(a[1])  # back online
    reply = await call(reader, "chat.resync",
                       {"conversations": {str(channel_a.pk): [last_seq, last_change]}})
    data = reply["data"]["conversations"][str(channel_a.pk)]
    assert [m["seq"] for m in data["messages"]] == [4, 5, 6, 7]
    assert all(f"while away {m['seq']}" in m["html"] for m in data["messages"])
    assert [(c["seq"], c["deleted"]) for c in data["changes"]] == [(2, False), (3, True)]
    assert "edited" in data["changes"][0]["html"]
    assert data["unread"] == 7  # the reader never marked anything read
    # After resync, new messages arrive live and only once.
    await call(sender, "chat.send", {"conversation": channel_a.pk, "body": "after"}, ref="a")
    live = events_named(
        await collect_until(reader, is_event("chat.message", seq=8)) + await drain(reader),
        "chat.message",
    )
    assert [f["data"]["seq"] for f in live] == [8]
    await sender.disconnect()
    await reader.disconnect()


async def test_removal_stops_delivery_at_once(user_factory):
    creator, member = await sync_to_async(user_factory)(), await sync_to_async(user_factory)()
    group = await sync_to_async(services.create_group)(creator, "Projet", [member.pk])
    owner_sock, member_sock = await open_socket(creator), await open_socket(member)
    await call(owner_sock, "chat.send", {"conversation": group.pk, "body": "one"})
    await frames_until(member_sock, is_event("chat.message", conversation=group.pk))
    await sync_to_async(services.remove_member)(creator, group.pk, member.pk)
    await frames_until(member_sock, is_event("chat.conversation.removed", conversation=group.pk))
    await call(owner_sock, "chat.send", {"conversation": group.pk, "body": "after removal"},
               ref="x")
    # The owner's socket gets its own message: by then the removed one would have too.
    await frames_until(owner_sock, is_event("chat.message", conversation=group.pk, seq=2))
    frames = await drain(member_sock, 0.3)
    assert not any("after removal" in str(f) for f in frames)
    refused = await call(member_sock, "chat.send", {"conversation": group.pk, "body": "hello?"})
    assert refused["code"] == "unknown_conversation"
    await owner_sock.disconnect()
    await member_sock.disconnect()


async def test_a_new_member_receives_at_once_without_reconnecting(user_factory):
    creator, newcomer = await sync_to_async(user_factory)(), await sync_to_async(user_factory)()
    group = await sync_to_async(services.create_group)(creator, "Projet", [])
    owner_sock, newcomer_sock = await open_socket(creator), await open_socket(newcomer)
    await call(owner_sock, "chat.send", {"conversation": group.pk, "body": "before"})
    await sync_to_async(services.add_members)(creator, group.pk, [newcomer.pk])
    added = await frames_until(newcomer_sock,
                               is_event("chat.conversation.added", conversation=group.pk))
    assert "Projet" in added["data"]["html"]
    await call(owner_sock, "chat.send", {"conversation": group.pk, "body": "welcome"}, ref="w")
    event = await frames_until(newcomer_sock, is_event("chat.message", conversation=group.pk))
    assert "welcome" in event["data"]["html"]["ar"]
    await owner_sock.disconnect()
    await newcomer_sock.disconnect()


async def test_typing_is_throttled_and_never_stored(two_directorates):
    channel_a, _, a, b = two_directorates
    typist, reader, outsider = (
        await open_socket(a[0]), await open_socket(a[1]), await open_socket(b[0])
    )
    first = await call(typist, "chat.typing", {"conversation": channel_a.pk}, ref="t1")
    second = await call(typist, "chat.typing", {"conversation": channel_a.pk}, ref="t2")
    assert first["data"]["sent"] is True and second["data"]["sent"] is False
    typing = events_named(
        await collect_until(reader, is_event("chat.typing")) + await drain(reader),
        "chat.typing",
    )
    assert len(typing) == 1 and typing[0]["data"]["user_id"] == a[0].pk
    assert events_named(await drain(outsider, 0.2), "chat.typing") == []
    assert await sync_to_async(Message.objects.count)() == 0
    for s in (typist, reader, outsider):
        await s.disconnect()


async def test_read_state_syncs_across_tabs_and_dm_read_receipts(user_factory):
    a, b = await sync_to_async(user_factory)(), await sync_to_async(user_factory)()
    dm = await sync_to_async(services.start_direct)(a, b)
    a_sock = await open_socket(a)
    b_tab1, b_tab2 = await open_socket(b), await open_socket(b)
    for i in range(3):
        await call(a_sock, "chat.send", {"conversation": dm.pk, "body": f"m{i}"}, ref=f"m{i}")
    reply = await call(b_tab1, "chat.read", {"conversation": dm.pk, "seq": 2})
    assert reply["data"] == {"unread": 1}
    synced = await frames_until(b_tab2, is_event("chat.read", conversation=dm.pk))
    assert synced["data"]["seq"] == 2 and synced["data"]["unread"] == 1
    seen = await frames_until(a_sock, is_event("chat.seen", conversation=dm.pk))
    assert seen["data"]["user_id"] == b.pk and seen["data"]["seq"] == 2
    for s in (a_sock, b_tab1, b_tab2):
        await s.disconnect()


async def test_edits_deletes_reactions_and_pins_reach_members_live(two_directorates):
    channel_a, _, a, _ = two_directorates
    author, other = await open_socket(a[0]), await open_socket(a[1])
    await call(author, "chat.send", {"conversation": channel_a.pk, "body": "texte"})
    await frames_until(other, is_event("chat.message", conversation=channel_a.pk))
    refused = await call(other, "chat.edit", {"conversation": channel_a.pk, "seq": 1, "body": "x"})
    assert refused["code"] == "not_allowed"
    await call(author, "chat.edit", {"conversation": channel_a.pk, "seq": 1, "body": "texte 2"})
    edit = await frames_until(other, is_event("chat.message.changed", conversation=channel_a.pk))
    assert edit["data"]["change"] == 1 and "texte 2" in edit["data"]["html"]["ar"]
    assert "msg-edited" in edit["data"]["html"]["ar"]
    await call(other, "chat.react", {"conversation": channel_a.pk, "seq": 1, "emoji": "❤️"})
    react = await frames_until(author, is_event("chat.message.changed", change=2))
    assert "❤️" in react["data"]["html"]["ar"]
    await call(other, "chat.pin", {"conversation": channel_a.pk, "seq": 1, "pinned": True})
    pin = await frames_until(author, is_event("chat.message.changed", change=3))
    assert pin["data"]["pinned"] is True
    await call(author, "chat.delete", {"conversation": channel_a.pk, "seq": 1})
    gone = await frames_until(other, is_event("chat.message.changed", change=4))
    assert gone["data"]["deleted"] is True and "texte 2" not in str(gone["data"]["html"])
    await author.disconnect()
    await other.disconnect()


async def test_scripts_are_shown_as_text(two_directorates):
    channel_a, _, a, _ = two_directorates
    author, other = await open_socket(a[0]), await open_socket(a[1])
    body = (
        "<script>alert(1)</script> <img src=x onerror=alert(2)>"
        " [x](javascript:alert(3)) https://example.org/a?b=1&c=2"
    )
    await call(author, "chat.send", {"conversation": channel_a.pk, "body": body})
    event = await frames_until(other, is_event("chat.message", conversation=channel_a.pk))
    for html in event["data"]["html"].values():
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert 'href="javascript' not in html
        assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">' \
            in html
    await author.disconnect()
    await other.disconnect()


async def test_presence_heartbeat_and_watch(two_directorates):
    _, _, a, _ = two_directorates
    sock = await open_socket(a[0])
    reply = await call(sock, "chat.presence", {"state": "online", "watch": [a[0].pk, a[1].pk]})
    assert reply["data"]["presence"] == {str(a[0].pk): "online", str(a[1].pk): "offline"}
    away = await call(sock, "chat.presence", {"state": "away", "watch": [a[0].pk]}, ref="2")
    assert away["data"]["presence"] == {str(a[0].pk): "away"}
    bad = await call(sock, "chat.presence", {"state": "invisible", "watch": []}, ref="3")
    assert bad["code"] == "bad_state"
    await sock.disconnect()


async def test_socket_errors_are_in_the_users_language(two_directorates):
    channel_a, _, a, _ = two_directorates
    sock = await open_socket(a[0])  # preferred language: Arabic (the default)
    reply = await call(sock, "chat.send", {"conversation": channel_a.pk, "body": " "})
    assert reply["message"] == "لا يمكن أن تكون الرسالة فارغة."
    await sock.disconnect()
