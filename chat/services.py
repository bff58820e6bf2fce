"""Writes of the chat. Persist in one transaction, then publish (after commit)."""

from __future__ import annotations

import re
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from collab import events
from collab.actions import ActionError
from collab.later import gettext_later, in_every_language
from collab.models import Directorate, User
from collab.services import notify
from collab.text import bad_char_message, find_bad_char, strip_bidi

from . import fragments, live, selectors
from .models import MAX_MESSAGE_LENGTH, REACTIONS, Conversation, Membership, Message, Reaction
from .text import excerpt, index_text, mentioned_usernames, render_body

LANGUAGES = [code for code, _name in settings.LANGUAGES]


class ChatError(ActionError):
    """A refused chat operation: ``code`` for clients, ``message`` translated."""


def group_of(conversation_id: int) -> str:
    return events.group_name(events.Audience.CONVERSATION, conversation_id)


# ---- Rendering -------------------------------------------------------------


def _names(user: User | None) -> dict:
    names = {}
    for code in LANGUAGES:
        with translation.override(code):
            names[code] = user.display_name if user else _("Former member")
    return names


def render_message(message: Message, language: str | None = None) -> str:
    context = {
        "message": message,
        "reactions": reaction_summary(message),
        "emoji_set": REACTIONS,
    }
    if language is None:
        return render_to_string("chat/partials/message.html", context)
    with translation.override(language):
        return render_to_string("chat/partials/message.html", context)


def render_message_all(message: Message) -> dict:
    """The message rendered once per language its members use: one payload for all.

    An all-Arabic directorate gets one render and a third of the bytes of a
    payload carrying every language. The languages come with the conversation
    (``member_languages``), not from its members.
    """
    used = message.conversation.member_languages
    codes = [code for code in LANGUAGES if code in used] or LANGUAGES
    return {code: render_message(message, code) for code in codes}


def refresh_member_languages(conversation_id: int) -> None:
    """Recount the languages of a conversation's members (after joins and leaves)."""
    used = set(
        Membership.objects.filter(conversation_id=conversation_id)
        .values_list("user__preferred_language", flat=True)
        .distinct()
    )
    Conversation.objects.filter(pk=conversation_id).update(
        member_languages=[code for code in LANGUAGES if code in used]
    )


def note_member_language(user: User) -> None:
    """A member now reads ``user.preferred_language``: their conversations render it
    too. A language nobody reads any more stays until the next join or leave:
    an extra rendering costs bytes, a missing one would show another language."""
    language = user.preferred_language
    rows = Conversation.objects.filter(memberships__user=user).values_list("pk", "member_languages")
    for pk, used in rows:
        if language not in used:
            Conversation.objects.filter(pk=pk).update(
                member_languages=[code for code in LANGUAGES if code in {*used, language}]
            )


def sender_copy(message: Message, language: str) -> str:
    """The fragment of a message just sent, for its sender: usually already rendered."""
    rendered = getattr(message, "html_by_language", {})
    return rendered[language] if language in rendered else render_message(message, language)


def reaction_summary(message: Message) -> list[dict]:
    cache = getattr(message, "_prefetched_objects_cache", {})
    rows = cache["reactions"] if "reactions" in cache else message.reactions.all()
    summary: dict[str, list[int]] = {}
    for reaction in rows:
        summary.setdefault(reaction.emoji, []).append(reaction.user_id)
    return [
        {"emoji": e, "count": len(summary[e]), "users": ",".join(map(str, summary[e]))}
        for e in REACTIONS
        if e in summary
    ]


def render_sidebar_item(membership: Membership, language: str) -> str:
    from .selectors import describe

    with translation.override(language):
        return render_to_string(
            "chat/partials/conversation_item.html", {"item": describe(membership)}
        )


# ---- Access ----------------------------------------------------------------


def unknown_conversation() -> ChatError:
    return ChatError(
        "unknown_conversation",
        _("This conversation does not exist or you are not a member of it."),
    )


def membership_of(user: User, conversation_id, *, lock: bool = False) -> Membership:
    """The user's membership, or the same refusal whether the conversation exists or not."""
    try:
        conversation_id = int(conversation_id)
    except (TypeError, ValueError):
        raise unknown_conversation() from None
    rows = Membership.objects.select_related("conversation")
    if lock:
        # Lock the membership only: the conversation row is where senders take
        # their seq, and read marks must not queue behind them.
        rows = rows.select_for_update(of=("self",))
    membership = rows.filter(user=user, conversation_id=conversation_id).first()
    if membership is None or not user.is_active:
        raise unknown_conversation()
    return membership


def _message(conversation: Conversation, seq) -> Message:
    message = (
        Message.objects.select_related("author", "reply_to__author")
        .filter(conversation=conversation, seq=seq)
        .first()
    )
    if message is None:
        raise ChatError("unknown_message", _("This message does not exist."))
    return message


def can_post(user: User, conversation: Conversation) -> bool:
    if conversation.kind != Conversation.Kind.MINISTRY or not conversation.posting_roles:
        return True
    return user.is_administrator or user.role in conversation.posting_roles


def _checked_text(text: str) -> str:
    # One check for the socket and the HTTP fallback alike: refuse what no one
    # types (and PostgreSQL cannot store), drop what would reorder others' view.
    if (char := find_bad_char(text)) is not None:
        raise ChatError("bad_text", bad_char_message(char))
    return strip_bidi(text)


_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _check_client_id(client_id: str | None) -> None:
    if client_id is not None and not _CLIENT_ID.fullmatch(client_id):
        raise ChatError("bad_client_id", _("The message's client id is not valid."))


def _sent_before(user: User, conversation: Conversation, client_id: str) -> Message | None:
    """The message this sender already stored under ``client_id``, for a replay."""
    message = (
        Message.objects.filter(conversation=conversation, author=user, client_id=client_id)
        .select_related("author", "reply_to__author")
        .prefetch_related("reactions")
        .first()
    )
    if message is not None:
        message.replayed = True
    return message


def _clean_body(body: str, allow_empty: bool = False) -> str:
    body = _checked_text((body or "").strip())
    if not body and not allow_empty:
        raise ChatError("empty_message", _("A message cannot be empty."))
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ChatError(
            "message_too_long",
            _("A message can have at most %(max)d characters.") % {"max": MAX_MESSAGE_LENGTH},
        )
    return body


# ---- Messages --------------------------------------------------------------


def _next(conversation_id: int, counter: str, **also) -> int:
    """Take the next value of a conversation counter.

    The UPDATE locks the conversation row until commit (PostgreSQL; SQLite
    locks the whole database), so concurrent writers get distinct numbers in
    commit order; the unique (conversation, seq) constraint backs it up.
    """
    if connection.vendor == "postgresql":
        # One round trip: increment and read back under the same row lock.
        # Column names come from the model, values are parameters.
        meta = Conversation._meta
        column = meta.get_field(counter).column
        sets = [f'"{column}" = "{column}" + 1']
        values = []
        for name, value in also.items():
            sets.append(f'"{meta.get_field(name).column}" = %s')
            values.append(value)
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{meta.db_table}" SET {", ".join(sets)} WHERE id = %s '
                f'RETURNING "{column}"',
                [*values, conversation_id],
            )
            return cursor.fetchone()[0]
    Conversation.objects.filter(pk=conversation_id).update(**{counter: F(counter) + 1}, **also)
    return Conversation.objects.filter(pk=conversation_id).values_list(counter, flat=True).get()


def _post(message: Message, membership: Membership) -> None:
    """Give ``message`` the conversation's next seq, insert it, and mark it read
    by its author (writing in a conversation means having read it).

    Senders to one conversation queue on its row from the seq increment to
    the commit. On PostgreSQL the three writes are one statement, so the row
    is locked only while it runs, not across round trips of a Python thread
    that waits for the GIL between them (at 100 messages/s into one
    conversation that wait was the bottleneck; docs/benchmarks.md).
    """
    message.created_at = timezone.now()
    if connection.vendor != "postgresql":
        with transaction.atomic():
            message.seq = _next(message.conversation_id, "last_seq",
                                last_activity_at=message.created_at)
            message.save(force_insert=True)
            Membership.objects.filter(pk=membership.pk).update(last_read_seq=message.seq)
        return
    quote = connection.ops.quote_name
    fields = [f for f in Message._meta.concrete_fields if not f.primary_key and f.name != "seq"]
    sql = f"""
        WITH c AS (
            UPDATE {quote(Conversation._meta.db_table)}
            SET last_seq = last_seq + 1, last_activity_at = %s WHERE id = %s
            RETURNING last_seq
        ), m AS (
            INSERT INTO {quote(Message._meta.db_table)}
                (seq, {", ".join(quote(f.column) for f in fields)})
            SELECT c.last_seq, {", ".join("%s" for _f in fields)} FROM c
            RETURNING id, seq
        ), r AS (
            UPDATE {quote(Membership._meta.db_table)}
            SET last_read_seq = (SELECT seq FROM m) WHERE id = %s
        )
        SELECT id, seq FROM m"""
    values = [f.get_db_prep_save(f.pre_save(message, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [message.created_at, message.conversation_id, *values, membership.pk])
        row = cursor.fetchone()
    if row is None:  # the conversation was deleted meanwhile
        raise unknown_conversation()
    message.pk, message.seq = row
    message._state.adding = False
    message._state.db = connection.alias


def send_message(
    user: User,
    conversation_id,
    body: str,
    reply_to: int | None = None,
    attachments: list[dict] | None = None,
    client_id: str | None = None,
) -> Message:
    """Store a message and broadcast it to the conversation after commit.

    ``client_id``: the sender's own id for this message. If the sender already
    stored a message with it in this conversation (a retry after a lost reply
    or a reconnect), that message is returned and nothing is stored or sent.

    The returned message carries ``html_by_language``: the fragment as
    broadcast, in each language its members use (see ``sender_copy``).

    ``attachments`` is the hook of the files issue: [{"name", "url", "size"}]
    for files it already stored and checked; they are rendered with the message.
    Optional keys: "thumbnail" (a path on this site), "state" ("checking" or
    "blocked": no link is shown) and "file_id". A message carrying
    attachments may have no text.
    """
    attachments = _clean_attachments(attachments)
    body = _clean_body(body, allow_empty=bool(attachments))
    _check_client_id(client_id)
    membership = membership_of(user, conversation_id)
    conversation = membership.conversation
    if not can_post(user, conversation):
        raise ChatError("not_allowed", _("Only some roles may post in this channel."))
    if client_id and (stored := _sent_before(user, conversation, client_id)):
        return stored
    if not live.allow_message(user.pk):
        raise ChatError(
            "rate_limited",
            _("You are sending messages too fast. Wait a few seconds and try again."),
        )
    quoted = _message(conversation, reply_to) if reply_to else None
    body_html = render_body(body)
    search_text = index_text(" ".join([body, *(f["name"] for f in attachments)]))
    message = Message(
        conversation=conversation,
        author=user,
        body=body,
        body_html=body_html,
        search_text=search_text,
        reply_to=quoted,
        attachments=attachments,
        client_id=client_id or "",
    )
    # A mention writes notifications too: all or nothing. Without one, the
    # single statement of _post() commits by itself.
    mentions = mentioned_usernames(body)
    try:
        with transaction.atomic() if mentions else nullcontext():
            _post(message, membership)
            if mentions:
                _notify_mentions(user, conversation, message)
    except IntegrityError:
        # The same send arrived twice at once (a retry racing its original):
        # the other one stored it; its seq increment was undone with the insert.
        stored = _sent_before(user, conversation, client_id) if client_id else None
        if stored is None:
            raise
        return stored
    message._prefetched_objects_cache = {"reactions": []}
    # Kept for the caller: the sender's own copy needs no second render.
    message.html_by_language = render_message_all(message)
    # And for the pages and resyncs that show it next.
    fragments.store(message, message.html_by_language)
    events.publish(
        events.CHAT_MESSAGE,
        to=conversation.pk,
        conversation=conversation.pk,
        seq=message.seq,
        change=0,
        author_id=user.pk,
        html=message.html_by_language,
        preview=excerpt(body or " ".join(f["name"] for f in attachments), 80),
        alert=_alerted(user, conversation, mentions),
    )
    return message


def _alerted(author: User, conversation: Conversation, mentions) -> list[int]:
    """Who gets a desktop notification and a sound: the mentioned members and the
    other person of a direct message, unless they muted this conversation."""
    members = Membership.objects.filter(conversation=conversation, muted=False).exclude(
        user_id=author.pk
    )
    if conversation.kind != Conversation.Kind.DIRECT:
        if not mentions:
            return []
        members = members.filter(user__username__in=mentions)
    return sorted(members.values_list("user_id", flat=True))


def set_muted(user: User, conversation_id, muted: bool) -> bool:
    """Mute or unmute a conversation for this member; returns the new state."""
    membership = membership_of(user, conversation_id)
    if membership.muted != muted:
        membership.muted = muted
        membership.save(update_fields=["muted"])
    return muted


ATTACHMENT_STATES = ("", "checking", "blocked", "removed")


def _clean_attachment(f: dict) -> dict | None:
    url = str(f.get("url", ""))
    # Links only to our own paths or http(s): never javascript: and the like.
    if not url.startswith(("/", "https://", "http://")):
        return None
    clean = {"name": str(f["name"])[:255], "url": url, "size": int(f.get("size", 0))}
    thumbnail = str(f.get("thumbnail") or "")
    if thumbnail.startswith("/") and not thumbnail.startswith("//"):
        clean["thumbnail"] = thumbnail
    if f.get("state") in ATTACHMENT_STATES[1:]:
        clean["state"] = f["state"]
    if str(f.get("file_id", "")).isdigit():
        clean["file_id"] = int(f["file_id"])
    return clean


def _clean_attachments(attachments) -> list[dict]:
    return [c for f in (attachments or []) if (c := _clean_attachment(f)) is not None]


@transaction.atomic
def update_attachment(message_id: int, attachment: dict) -> Message | None:
    """Replace an attachment of a message: the one with the same ``file_id``
    and ``url`` (the files app calls this when a scan ends: "being checked"
    becomes a link, or "blocked"). Members get it live as a change; a
    deleted message stays deleted."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    clean = _clean_attachment(attachment)
    if message is None or message.is_deleted or clean is None:
        return None
    current = message.attachments or []

    def same(a: dict) -> bool:
        return a.get("file_id") == clean.get("file_id") and a.get("url") == clean["url"]

    updated = [(clean if same(a) else a) for a in current]
    if updated == current:
        return message
    return _stamp_change(message, attachments=updated)


@transaction.atomic
def remove_attachment(message_id: int, file_id: int) -> Message | None:
    """The file behind an attachment is gone (deleted, or its share revoked):
    keep its name, drop its links, say so; live to members as a change."""
    message = Message.objects.select_for_update().filter(pk=message_id).first()
    if message is None or message.is_deleted:
        return None
    current = message.attachments or []
    updated = [
        {"file_id": a["file_id"], "name": a["name"], "url": a["url"], "size": a["size"],
         "state": "removed"}
        if a.get("file_id") == file_id else a
        for a in current
    ]
    if updated == current:
        return message
    return _stamp_change(message, attachments=updated)


def _notify_mentions(author: User, conversation: Conversation, message: Message) -> None:
    names = mentioned_usernames(message.body)
    if not names:
        return
    mentioned = User.objects.filter(
        username__in=names,
        is_active=True,
        chat_memberships__conversation=conversation,
    ).exclude(pk=author.pk)
    link = reverse("chat:conversation", args=[conversation.pk])
    link += f"?around={message.seq}#msg-{conversation.pk}-{message.seq}"
    title = gettext_later("%(name)s mentioned you",
                          name=in_every_language(lambda: author.display_name))
    for person in mentioned:
        # The notification body is plain text, escaped wherever it is shown.
        notify(person, kind="chat.mention", title=title, body=excerpt(message.body, 200), link=link)


def _publish_change(message: Message) -> None:
    (message,) = fragments.load_rows(
        fragments.message_rows().prefetch_related("reactions").filter(pk=message.pk))
    html = render_message_all(message)
    fragments.store(message, html)
    events.publish(
        events.CHAT_MESSAGE_CHANGED,
        to=message.conversation_id,
        conversation=message.conversation_id,
        seq=message.seq,
        change=message.change,
        html=html,
        deleted=message.is_deleted,
        pinned=message.pinned_at is not None,
    )


def _stamp_change(message: Message, **fields) -> Message:
    change = _next(message.conversation_id, "last_change")
    fields["change"] = change
    Message.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    _publish_change(message)
    return message


@transaction.atomic
def edit_message(user: User, conversation_id, seq: int, body: str) -> Message:
    body = _clean_body(body)
    membership = membership_of(user, conversation_id)
    message = _message(membership.conversation, seq)
    if message.author_id != user.pk or message.is_deleted:
        raise ChatError("not_allowed", _("You can only edit your own messages."))
    return _stamp_change(
        message,
        body=body,
        body_html=render_body(body),
        search_text=index_text(body),
        edited_at=timezone.now(),
    )


@transaction.atomic
def delete_message(user: User, conversation_id, seq: int) -> Message:
    membership = membership_of(user, conversation_id)
    message = _message(membership.conversation, seq)
    if message.author_id != user.pk:
        raise ChatError("not_allowed", _("You can only delete your own messages."))
    if message.is_deleted:
        return message
    # The text goes with the message: nothing deleted stays readable or searchable.
    return _stamp_change(
        message, body="", body_html="", search_text="", deleted_at=timezone.now(),
        pinned_at=None, pinned_by=None,
    )


@transaction.atomic
def react(user: User, conversation_id, seq: int, emoji: str) -> bool:
    """Toggle a reaction; True if it is now set."""
    if emoji not in REACTIONS:
        raise ChatError("bad_reaction", _("This reaction is not available."))
    membership = membership_of(user, conversation_id)
    message = _message(membership.conversation, seq)
    if message.is_deleted:
        raise ChatError("not_allowed", _("This message was deleted."))
    removed, _detail = Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
    if not removed:
        Reaction.objects.create(message=message, user=user, emoji=emoji)
    _stamp_change(message)
    return not removed


@transaction.atomic
def pin(user: User, conversation_id, seq: int, pinned: bool = True) -> Message:
    membership = membership_of(user, conversation_id)
    message = _message(membership.conversation, seq)
    if message.is_deleted:
        raise ChatError("not_allowed", _("This message was deleted."))
    if (message.pinned_at is not None) == pinned:
        return message
    return _stamp_change(
        message,
        pinned_at=timezone.now() if pinned else None,
        pinned_by=user if pinned else None,
    )


def mark_read(user: User, conversation_id, seq: int) -> int:
    """Move the read position forward (never back); returns the unread count."""
    with transaction.atomic():
        membership = membership_of(user, conversation_id, lock=True)
        conversation = membership.conversation
        seq = max(0, min(int(seq), conversation.last_seq))
        if seq > membership.last_read_seq:
            membership.last_read_seq = seq
            membership.save(update_fields=["last_read_seq"])
            if conversation.is_private:
                events.publish(
                    events.CHAT_SEEN,
                    to=conversation.pk,
                    conversation=conversation.pk,
                    user_id=user.pk,
                    names=_names(user),
                    seq=seq,
                )
        unread = conversation.last_seq - membership.last_read_seq
        events.publish(
            events.CHAT_READ,
            to=user.pk,
            conversation=conversation.pk,
            seq=membership.last_read_seq,
            unread=unread,
            total=selectors.total_unread(user),
        )
    return unread


def typing(user: User, conversation_id) -> bool:
    """Tell the others; at most once per 3 s per member and conversation. Never stored."""
    membership = membership_of(user, conversation_id)
    if not live.allow_typing(user.pk, membership.conversation_id):
        return False
    events.publish(
        events.CHAT_TYPING,
        to=membership.conversation_id,
        conversation=membership.conversation_id,
        user_id=user.pk,
        names=_names(user),
    )
    return True


# ---- Conversations and members ---------------------------------------------


def _join(conversation: Conversation, users) -> list[Membership]:
    existing = set(
        Membership.objects.filter(conversation=conversation, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    added = []
    for person in users:
        if person.pk in existing:
            continue
        # A new member starts with everything already said counted as read.
        added.append(
            Membership.objects.create(
                conversation=conversation, user=person, last_read_seq=conversation.last_seq
            )
        )
    for membership in added:
        person = membership.user
        events.change_groups(person.pk, join=[group_of(conversation.pk)])
        events.publish(
            events.CHAT_CONVERSATION_ADDED,
            to=person.pk,
            conversation=conversation.pk,
            html=render_sidebar_item(membership, person.preferred_language),
        )
    if added:
        refresh_member_languages(conversation.pk)
    return added


def _leave(conversation: Conversation, users) -> int:
    ids = [u.pk for u in users]
    rows = Membership.objects.filter(conversation=conversation, user_id__in=ids)
    removed, _detail = rows.delete()
    if removed:
        refresh_member_languages(conversation.pk)
    for user_id in ids:
        # Delivery stops at once: every open socket of the user leaves the group.
        events.change_groups(user_id, leave=[group_of(conversation.pk)])
        events.publish(events.CHAT_CONVERSATION_REMOVED, to=user_id, conversation=conversation.pk)
    return removed


def _publish_updated(conversation: Conversation) -> None:
    events.publish(
        events.CHAT_CONVERSATION_UPDATED,
        to=conversation.pk,
        conversation=conversation.pk,
        title=conversation.title,
        member_ids=list(conversation.memberships.values_list("user_id", flat=True)),
    )


@transaction.atomic
def ensure_directorate_channel(directorate: Directorate) -> Conversation:
    conversation, _created = Conversation.objects.get_or_create(
        directorate=directorate,
        defaults={"kind": Conversation.Kind.DIRECTORATE},
    )
    _join(conversation, list(User.objects.filter(directorate=directorate, is_active=True)))
    return conversation


@transaction.atomic
def sync_directorate_membership(user: User, previous_directorate_id: int | None) -> None:
    """Keep the user in exactly the channel of their current directorate."""
    if previous_directorate_id and previous_directorate_id != user.directorate_id:
        old = Conversation.objects.filter(directorate_id=previous_directorate_id).first()
        if old is not None:
            _leave(old, [user])
    if user.directorate_id and user.is_active:
        channel = Conversation.objects.filter(directorate_id=user.directorate_id).first()
        if channel is None:
            ensure_directorate_channel(user.directorate)
        else:
            _join(channel, [user])


@transaction.atomic
def create_ministry_channel(
    admin: User, title: str, posting_roles: list[str] | None = None
) -> Conversation:
    if not admin.is_administrator:
        raise ChatError("not_allowed", _("Only administrators can create ministry-wide channels."))
    roles = [r for r in (posting_roles or []) if r in User.Role.values]
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.MINISTRY, title=title.strip()[:120], created_by=admin,
        posting_roles=roles,
    )
    # Staff only: press companies' accounts are not in ministry channels.
    _join(conversation, list(User.objects.filter(is_active=True, is_external=False)))
    return conversation


def join_ministry_channels(user: User) -> None:
    if user.is_external:  # a press company's account: no intranet channel
        return
    for conversation in Conversation.objects.filter(kind=Conversation.Kind.MINISTRY):
        _join(conversation, [user])


def _clean_title(title: str) -> str:
    title = _checked_text((title or "").strip())
    if not title:
        raise ChatError("empty_title", _("A group needs a name."))
    if len(title) > 120:
        raise ChatError("title_too_long", _("A group name can have at most 120 characters."))
    return title


def _colleagues(ids) -> list[User]:
    return list(User.objects.filter(pk__in=list(ids), is_active=True))


@transaction.atomic
def create_group(creator: User, title: str, member_ids=()) -> Conversation:
    title = _clean_title(title)
    conversation = Conversation.objects.create(
        kind=Conversation.Kind.GROUP, title=title, created_by=creator
    )
    _join(conversation, [creator, *_colleagues(set(member_ids) - {creator.pk})])
    return conversation


def _group_membership(user: User, conversation_id) -> Membership:
    membership = membership_of(user, conversation_id)
    if membership.conversation.kind != Conversation.Kind.GROUP:
        raise ChatError("not_a_group", _("Only private groups can be changed this way."))
    return membership


@transaction.atomic
def add_members(user: User, conversation_id, member_ids) -> int:
    conversation = _group_membership(user, conversation_id).conversation
    added = _join(conversation, _colleagues(member_ids))
    if added:
        _publish_updated(conversation)
    return len(added)


@transaction.atomic
def remove_member(user: User, conversation_id, member_id: int) -> None:
    conversation = _group_membership(user, conversation_id).conversation
    if conversation.created_by_id != user.pk:
        raise ChatError("not_allowed", _("Only the creator of the group can remove members."))
    if int(member_id) == user.pk:
        raise ChatError("not_allowed", _("Leave the group instead of removing yourself."))
    if not _leave(conversation, list(User.objects.filter(pk=member_id))):
        raise ChatError("unknown_member", _("This person is not a member of the group."))
    _publish_updated(conversation)


@transaction.atomic
def leave(user: User, conversation_id) -> None:
    conversation = _group_membership(user, conversation_id).conversation
    _leave(conversation, [user])
    _publish_updated(conversation)


@transaction.atomic
def rename(user: User, conversation_id, title: str) -> Conversation:
    conversation = _group_membership(user, conversation_id).conversation
    if conversation.created_by_id != user.pk:
        raise ChatError("not_allowed", _("Only the creator of the group can rename it."))
    conversation.title = _clean_title(title)
    conversation.save(update_fields=["title"])
    _publish_updated(conversation)
    return conversation


@transaction.atomic
def start_direct(user: User, other: User) -> Conversation:
    if other.pk == user.pk or not other.is_active:
        raise ChatError("not_allowed", _("You cannot start this conversation."))
    low, high = sorted([user.pk, other.pk])
    conversation, created = Conversation.objects.get_or_create(
        direct_key=f"{low}-{high}",
        defaults={"kind": Conversation.Kind.DIRECT, "created_by": user},
    )
    if created:
        _join(conversation, [user, other])
    return conversation


# ---- Groups another app keeps (a course's learners) ---------------------------


@transaction.atomic
def create_kept_group(title: str, creator: User | None = None) -> Conversation:
    """A private group whose members another app decides: it calls
    ``keep_members`` as people join or leave what the group is about."""
    return Conversation.objects.create(
        kind=Conversation.Kind.GROUP, title=_clean_title(title[:120]), created_by=creator
    )


@transaction.atomic
def keep_members(conversation: Conversation, *, join=(), leave=()) -> None:
    added = _join(conversation, [person for person in join if person.is_active])
    removed = _leave(conversation, list(leave)) if leave else 0
    if added or removed:
        _publish_updated(conversation)
