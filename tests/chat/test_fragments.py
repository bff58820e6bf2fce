"""Rendered messages are kept (chat.fragments) and never shown stale: every
change of what a fragment shows reaches the page and the resync, each
language keeps its own, and nothing of the reader gets into them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from chat import selectors, services
from chat.models import Message

pytestmark = pytest.mark.django_db


def _article(html: str, conversation_id: int, seq: int) -> str:
    """The one message's fragment in a page."""
    found = re.search(rf'<article class="msg[^"]*" id="msg-{conversation_id}-{seq}".*?</article>',
                      html, re.S)
    assert found, f"message {seq} not on the page"
    return found.group(0)


def _on_page(client, conversation, seq: int) -> str:
    page = client.get(reverse("chat:conversation", args=[conversation.pk])).content.decode()
    return _article(page, conversation.pk, seq)


def _resynced(user, conversation, seq: int) -> str:
    """The message as a resync from the start gives it."""
    reply = selectors.resync(user, {str(conversation.pk): [0, 0]})
    items = reply["conversations"][str(conversation.pk)]["messages"]
    return next(item["html"] for item in items if item["seq"] == seq)


def test_each_change_shows_on_the_page_and_in_a_resync(two_directorates, client_for):
    channel, _, (author, reader), _ = two_directorates
    client = client_for(reader)
    message = services.send_message(author, channel.pk, "first words")
    seq = message.seq
    # Seen once: rendered and kept.
    assert "first words" in _on_page(client, channel, seq)
    assert "first words" in _resynced(reader, channel, seq)

    services.edit_message(author, channel.pk, seq, "second words")
    for html in (_on_page(client, channel, seq), _resynced(reader, channel, seq)):
        assert "second words" in html and "first words" not in html

    services.react(reader, channel.pk, seq, "👍")
    for html in (_on_page(client, channel, seq), _resynced(reader, channel, seq)):
        assert f'data-users="{reader.pk}"' in html

    services.pin(reader, channel.pk, seq)
    for html in (_on_page(client, channel, seq), _resynced(reader, channel, seq)):
        assert "is-pinned" in html

    services.delete_message(author, channel.pk, seq)
    for html in (_on_page(client, channel, seq), _resynced(reader, channel, seq)):
        assert "is-deleted" in html and "second words" not in html


def test_what_others_change_shows_too(two_directorates, client_for):
    """The author's name and photo, the quoted message, a mentioned person's name."""
    channel, _, (author, reader), _ = two_directorates
    client = client_for(reader)
    quoted = services.send_message(reader, channel.pk, "the quoted text")
    message = services.send_message(author, channel.pk, f"@{reader.username} see this",
                                    reply_to=quoted.seq)
    before = _on_page(client, channel, message.seq)
    assert author.last_name in before and "the quoted text" in before
    assert reader.last_name in before

    author.last_name = "Renamed"
    author.save(update_fields=["last_name"])
    reader.first_name = "Mentioned"
    reader.save(update_fields=["first_name"])
    services.edit_message(reader, channel.pk, quoted.seq, "the quote edited")
    for html in (_on_page(client, channel, message.seq),
                 _resynced(reader, channel, message.seq)):
        assert "Renamed" in html
        assert "the quote edited" in html and "the quoted text" not in html
        assert "Mentioned" in html


def test_each_language_keeps_its_own(two_directorates, client_for):
    channel, _, (author, reader), _ = two_directorates
    message = services.send_message(author, channel.pk, "words")
    services.edit_message(author, channel.pk, message.seq, "words again")
    for language, edited in [("fr", "(modifié)"), ("ar", "(معدّلة)"), ("fr", "(modifié)")]:
        reader.preferred_language = language
        reader.save(update_fields=["preferred_language"])
        html = _on_page(client_for(reader), channel, message.seq)
        assert edited in html
        assert f'class="msg-edited">{edited}<' in _resynced_in(reader, channel, message.seq,
                                                               language)


def _resynced_in(user, conversation, seq, language):
    from django.utils import translation

    with translation.override(language):
        return _resynced(user, conversation, seq)


def test_no_reader_gets_into_a_kept_fragment(two_directorates, client_for):
    channel, _, (author, reader), _ = two_directorates
    message = services.send_message(author, channel.pk, "for everyone")
    services.react(author, channel.pk, message.seq, "❤️")
    shown = {
        person: _on_page(client_for(person), channel, message.seq) for person in (reader, author)
    }
    # The author reads the fragment the reader was given: the same bytes.
    assert shown[reader] == shown[author]
    assert reader.username not in shown[reader]
    # What is the reader's own (edit tools for their own messages) is chat.js's.
    assert "msg-tools" not in shown[author]


def test_an_unreachable_store_renders_instead(two_directorates, client_for, settings):
    channel, _, (author, reader), _ = two_directorates
    message = services.send_message(author, channel.pk, "still shown")
    settings.CACHES = {
        **settings.CACHES,
        "chat_fragments": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens there: every read and write fails at once.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    assert "still shown" in _on_page(client_for(reader), channel, message.seq)
    assert "still shown" in _resynced(reader, channel, message.seq)
    assert Message.objects.filter(pk=message.pk).exists()
