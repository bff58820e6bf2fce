"""Chat's live events, captured through the harness (collab.testing): each one
checked against its schema and sent to the right group."""

from chat import services
from collab import events
from collab.testing import capture_events


def test_a_group_s_life_publishes_its_events(user_factory, directorate):
    owner, colleague, other = (user_factory(directorate=directorate) for _ in range(3))
    group = services.create_group(owner, "Budget", [colleague.pk])

    with capture_events() as captured:
        services.add_members(owner, group.pk, [other.pk])
    captured.assert_published(events.CHAT_CONVERSATION_ADDED, to=other.pk, conversation=group.pk)
    data = captured.assert_published(events.CHAT_CONVERSATION_UPDATED, to=group.pk)
    assert sorted(data["member_ids"]) == sorted([owner.pk, colleague.pk, other.pk])

    with capture_events() as captured:
        services.rename(owner, group.pk, "Budget 2027")
    assert captured.assert_published(
        events.CHAT_CONVERSATION_UPDATED, to=group.pk)["title"] == "Budget 2027"

    with capture_events() as captured:
        services.remove_member(owner, group.pk, other.pk)
    captured.assert_published(events.CHAT_CONVERSATION_REMOVED, to=other.pk, conversation=group.pk)
    assert other.pk not in captured.assert_published(
        events.CHAT_CONVERSATION_UPDATED, to=group.pk)["member_ids"]


def test_messages_reads_and_typing_publish_their_events(user_factory, directorate):
    author, reader = user_factory(directorate=directorate), user_factory(directorate=directorate)
    group = services.create_group(author, "Équipe", [reader.pk])

    with capture_events() as captured:
        message = services.send_message(author, group.pk, "Bonjour <b>tous</b>")
    data = captured.assert_published(events.CHAT_MESSAGE, to=group.pk, seq=message.seq,
                                     author_id=author.pk)
    assert "&lt;b&gt;" in next(iter(data["html"].values()))

    with capture_events() as captured:
        services.edit_message(author, group.pk, message.seq, "Bonjour")
    captured.assert_published(events.CHAT_MESSAGE_CHANGED, to=group.pk, seq=message.seq,
                              deleted=False)

    with capture_events() as captured:
        services.mark_read(reader, group.pk, message.seq)
    captured.assert_published(events.CHAT_READ, to=reader.pk, seq=message.seq, unread=0)
    captured.assert_published(events.CHAT_SEEN, to=group.pk, user_id=reader.pk, seq=message.seq)

    with capture_events() as captured:
        assert services.typing(reader, group.pk)
    captured.assert_published(events.CHAT_TYPING, to=group.pk, user_id=reader.pk)
