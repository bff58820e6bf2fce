"""Rendered chat messages, kept so that each version is rendered once.

A message's fragment (chat/partials/message.html) depends on the message, its
author, the message it quotes, the people it mentions, the reader's language
and time zone, and the template and code that render it; never on the reader
(what is the reader's own, such as the edit tools, chat.js adds in the
browser). The cache key is made from all of these, so a new version of any of
them is a new key and nothing has to be invalidated: an edit, a deletion, a
reaction, a pin or an attachment's new state stamps the message with a new
``change`` number (chat.services._stamp_change); a renamed author, a new
photo or language gives the author a new signature; a quoted message that
changed has a new ``change`` too. Old versions expire (``TIMEOUT``).

Only a cache: a lost or unreachable store means rendering again, never a
wrong or missing message.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from django.conf import settings
from django.core.cache import caches
from django.db.models import prefetch_related_objects
from django.template.loader import get_template
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

CACHE = "chat_fragments"
TEMPLATES = ("chat/partials/message.html", "chat/partials/attachments.html")
# Raise when Python code that shapes a fragment changes (chat_tags' filters,
# the avatar tag, chat.services.reaction_summary, what a signature covers):
# template edits change the key by themselves.
CODE_VERSION = 1
# The columns a fragment reads: loading only these keeps each row cheap
# (every user column of three users per message cost more than rendering).
PERSON_FIELDS = ("username", "first_name", "last_name", "full_name_ar", "avatar_key",
                 "preferred_language")
MESSAGE_FIELDS = (
    "conversation_id", "seq", "change", "author_id", "body", "body_html", "reply_to_id",
    "created_at", "edited_at", "deleted_at", "pinned_at", "attachments",
)
QUOTED_FIELDS = ("conversation_id", "seq", "change", "author_id", "body", "deleted_at")


def _people():
    from collab.models import User

    return User.objects.only(*PERSON_FIELDS)


def message_rows():
    """Messages with the columns a fragment reads (to be read with ``load_rows``)."""
    from .models import Message

    return Message.objects.only(*MESSAGE_FIELDS)


def load_rows(rows) -> list:
    """``rows`` (a Message queryset of ``message_rows()``) read, with what a
    fragment shows: the quoted messages and everyone's name fields come in a
    query each (none when nothing is quoted), not joined: a join made
    PostgreSQL join every later message of the conversation before keeping the
    first ones when its statistics were stale (fresh rows, before autovacuum),
    and repeated each author on each row. Not prefetch_related either: its
    machinery cost a long resync more CPU than its queries (a resync reads a
    hundred pages of rows)."""
    from .models import Message

    messages = list(rows)
    quoted_ids = {m.reply_to_id for m in messages if m.reply_to_id}
    quoted = Message.objects.only(*QUOTED_FIELDS).in_bulk(quoted_ids) if quoted_ids else {}
    people_ids = {m.author_id for m in messages} | {q.author_id for q in quoted.values()}
    people_ids.discard(None)
    people = _people().in_bulk(people_ids) if people_ids else {}
    # Only what was found is set: a row gone meanwhile loads as it would have.
    for q in quoted.values():
        if q.author_id in people:
            q.author = people[q.author_id]
    for m in messages:
        if m.author_id in people:
            m.author = people[m.author_id]
        if m.reply_to_id in quoted:
            m.reply_to = quoted[m.reply_to_id]
    return messages


def _sources_version() -> str:
    sources = [get_template(name).template.source for name in TEMPLATES]
    return hashlib.blake2b("\0".join([str(CODE_VERSION), *sources]).encode(),
                           digest_size=8).hexdigest()


_deployed_version = functools.cache(_sources_version)


def _code_version() -> str:
    # In development templates change under a running server: read them each time.
    return _sources_version() if settings.DEBUG else _deployed_version()


def _person(person) -> tuple:
    if person is None:
        return ()
    return (person.pk, *(getattr(person, name) for name in PERSON_FIELDS))


def _signature(message) -> tuple:
    quoted = message.reply_to if message.reply_to_id else None
    people = getattr(message, "_mentioned_people", None) or {}
    return (
        message.pk, message.conversation_id, message.seq, message.change,
        # Never reused by another message, even in a database restored or
        # recreated with the same ids (a test run after another).
        message.created_at.isoformat(),
        _person(message.author),
        (quoted.pk, quoted.change, _person(quoted.author)) if quoted else (),
        tuple(sorted((name, _person(p)) for name, p in people.items())),
    )


def _key(message, language: str, zone: str, version: str | None = None) -> str:
    text = repr((version or _code_version(), language, zone, _signature(message)))
    return "chat:m:" + hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _load_mentions(messages) -> None:
    """One query for the people every message of ``messages`` mentions
    (chat_tags.mention_names reads them from the message)."""
    from .text import mentioned_usernames

    wanted = [m for m in messages if 'class="mention"' in m.body_html
              and not hasattr(m, "_mentioned_people")]
    if not wanted:
        return
    names = {m.pk: set(mentioned_usernames(m.body)) for m in wanted}
    everyone = set().union(*names.values())
    found = {u.username: u for u in _people().filter(username__in=everyone, is_active=True)}
    for m in wanted:
        m._mentioned_people = {n: found[n] for n in names[m.pk] if n in found}


def _cache():
    return caches[CACHE]


def _get_many(keys: list[str]) -> dict:
    try:
        return _cache().get_many(keys)
    except Exception as exc:  # only a cache: render instead
        logger.warning("chat fragments: could not read the cache: %r", exc)
        return {}


def _set_many(values: dict) -> None:
    try:
        _cache().set_many(values)
    except Exception as exc:
        logger.warning("chat fragments: could not write the cache: %r", exc)


def html_for(messages, language: str | None = None) -> list[str]:
    """The fragment of each message in ``language`` (the active one by default),
    rendered only for those not rendered before."""
    from .services import render_message

    messages = list(messages)
    if not messages:
        return []
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    zone = timezone.get_current_timezone_name()
    _load_mentions(messages)
    version = _code_version()
    keys = [_key(m, language, zone, version) for m in messages]
    found = _get_many(keys)
    missing = [m for m, k in zip(messages, keys, strict=True) if k not in found]
    if missing:
        prefetch_related_objects(
            [m for m in missing if "reactions" not in getattr(m, "_prefetched_objects_cache", {})],
            "reactions")
        made = {}
        for m, k in zip(messages, keys, strict=True):
            if k not in found:
                made[k] = found[k] = render_message(m, language)
        _set_many(made)
    return [found[k] for k in keys]


def store(message, html_by_language: dict) -> None:
    """Keep fragments just rendered (a message sent or changed) for the pages
    and resyncs that will show them."""
    zone = timezone.get_current_timezone_name()
    _load_mentions([message])
    _set_many({_key(message, code, zone): html for code, html in html_by_language.items()})
