"""Reads of the chat. Every read starts from the user's membership."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from collab import events
from collab.models import User

from . import fragments
from .models import Conversation, Membership, Message
from .text import search_terms

PAGE_SIZE = 30


def socket_groups(user: User) -> list[str]:
    """COLLAB_SOCKET_GROUP_PROVIDERS hook: every socket joins its conversations' groups.

    Plain SQL: every handshake runs it, and building the ORM query cost about
    three times the query itself (a reconnect storm is thousands at once)."""
    meta, qn = Membership._meta, connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {qn(meta.get_field('conversation').column)} FROM {qn(meta.db_table)}"
            f" WHERE {qn(meta.get_field('user').column)} = %s",
            [user.pk],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return [events.group_name(events.Audience.CONVERSATION, pk) for pk in ids]


def presence_visible(user: User, ids=None) -> set[int]:
    """The users among ``ids`` (all users when None) whose presence ``user`` may
    see: the user, the people of their directorate, and the members of a direct
    conversation, group or directorate channel they are in. Ministry-wide
    channels do not count: everyone is in them. One query."""
    shared = Membership.objects.filter(
        conversation__in=Membership.objects.filter(user=user)
        .exclude(conversation__kind=Conversation.Kind.MINISTRY)
        .values("conversation_id")
    ).values("user_id")
    visible = Q(pk=user.pk) | Q(pk__in=shared)
    if user.directorate_id:  # filter(directorate_id=None) would match every user without one
        visible |= Q(directorate_id=user.directorate_id)
    people = User.objects.filter(visible, is_external=False)
    if ids is not None:
        people = people.filter(pk__in=list(ids))
    return set(people.values_list("pk", flat=True))


def conversation_ids_for(user: User):
    """Ids of the conversations ``user`` belongs to now (a lazy subquery).

    The files app grants access to files shared with a conversation through
    it, so leaving or removal ends that access at once."""
    return Membership.objects.filter(user=user, user__is_active=True).values("conversation_id")


@dataclass
class ConversationItem:
    conversation: Conversation
    membership: Membership
    title: str
    unread: int
    other: User | None = None  # the other person of a direct conversation
    url: str = ""

    @property
    def pk(self):
        return self.conversation.pk

    @property
    def activity(self) -> int:
        """Seconds since the epoch of the last activity (the sidebar's sort key)."""
        return int(self.conversation.last_activity_at.timestamp())


def conversation_urls():
    """A function giving a conversation's address from its id: one reverse()
    for a whole list instead of one per item (the address differs only by it)."""
    sample = reverse("chat:conversation", args=[0])
    head, _zero, tail = sample.rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


def _title(conversation: Conversation, user_id: int, others: list[User]) -> str:
    if conversation.kind == Conversation.Kind.DIRECTORATE and conversation.directorate:
        return conversation.directorate.name
    if conversation.kind == Conversation.Kind.DIRECT:
        return others[0].display_name if others else _("Former member")
    return conversation.title


def describe(membership: Membership) -> ConversationItem:
    conversation = membership.conversation
    others = []
    if conversation.kind == Conversation.Kind.DIRECT:
        others = list(
            User.objects.filter(chat_memberships__conversation=conversation).exclude(
                pk=membership.user_id
            )
        )
    return ConversationItem(
        conversation=conversation,
        membership=membership,
        title=_title(conversation, membership.user_id, others),
        unread=max(0, conversation.last_seq - membership.last_read_seq),
        other=others[0] if others else None,
        url=conversation_urls()(conversation.pk),
    )


def conversations_for(user: User) -> list[ConversationItem]:
    """The user's conversations, latest activity first, with unread counts."""
    return _items(user, Membership.objects.filter(user=user))


def unread_conversations(user: User, limit: int) -> list[ConversationItem]:
    """The first ``limit`` of ``conversations_for`` with unread messages (home):
    the database keeps only those, instead of every conversation of the user."""
    return _items(user, Membership.objects.filter(
        user=user, conversation__last_seq__gt=F("last_read_seq")), limit)


def _items(user: User, memberships, limit: int | None = None) -> list[ConversationItem]:
    memberships = (memberships.select_related("conversation__directorate")
                   .order_by("-conversation__last_activity_at", "-conversation_id"))
    memberships = list(memberships if limit is None else memberships[:limit])
    direct_ids = [
        m.conversation_id for m in memberships if m.conversation.kind == Conversation.Kind.DIRECT
    ]
    others: dict[int, list[User]] = {}
    if direct_ids:
        for row in (
            Membership.objects.filter(conversation_id__in=direct_ids)
            .exclude(user=user)
            .select_related("user")
        ):
            others.setdefault(row.conversation_id, []).append(row.user)
    url = conversation_urls()
    return [
        ConversationItem(
            conversation=m.conversation,
            membership=m,
            title=_title(m.conversation, user.pk, others.get(m.conversation_id, [])),
            unread=max(0, m.conversation.last_seq - m.last_read_seq),
            other=(others.get(m.conversation_id) or [None])[0],
            url=url(m.conversation_id),
        )
        for m in memberships
    ]


def total_unread(user: User) -> int:
    return sum(
        max(0, last - read)
        for last, read in Membership.objects.filter(user=user).values_list(
            "conversation__last_seq", "last_read_seq"
        )
    )


def _messages(conversation_id: int):
    # Read with fragments.load_rows; reactions are read only for the messages
    # rendered anew (chat.fragments).
    return fragments.message_rows().filter(conversation_id=conversation_id)


def _with_html(page: list[Message]) -> list[Message]:
    """``page`` with each message's fragment in the active language (``.html``)."""
    for message, html in zip(page, fragments.html_for(page), strict=True):
        message.html = html
    return page


def history(conversation: Conversation, before_seq: int | None = None, limit: int = PAGE_SIZE):
    """One page of messages before ``before_seq`` (keyset on seq, never OFFSET).

    Returns (messages oldest first, each with its ``html``; seq to ask for the
    next older page or None).
    """
    rows = _messages(conversation.pk)
    if before_seq is not None:
        rows = rows.filter(seq__lt=before_seq)
    page = fragments.load_rows(rows.order_by("-seq")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    page.reverse()
    return _with_html(page), (page[0].seq if more and page else None)


def around(conversation: Conversation, seq: int, limit: int = PAGE_SIZE):
    """A page that contains ``seq`` (for links from search): older half, then
    newer, each message with its ``html``."""
    older = fragments.load_rows(
        _messages(conversation.pk).filter(seq__lte=seq).order_by("-seq")[: limit // 2])
    newer = fragments.load_rows(
        _messages(conversation.pk).filter(seq__gt=seq).order_by("seq")[: limit // 2])
    older.reverse()
    return _with_html(older + newer)


def members(conversation: Conversation) -> list[Membership]:
    return list(conversation.memberships.select_related("user").order_by("user__username"))


def pinned(conversation: Conversation) -> list[Message]:
    """The pinned messages, newest pin first, with what the pins bar shows
    (a link to the message and its text): not the rendered html nor the author."""
    return list(
        Message.objects.filter(conversation=conversation, pinned_at__isnull=False)
        .only("conversation_id", "seq", "body", "pinned_at")
        .order_by("-pinned_at")
    )


def _cursor(value) -> tuple[int, int] | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value, 0
    if isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return value[0], value[1]
    return None


def resync(user: User, cursors: dict) -> dict:
    """One page of what the user missed in each conversation after (last seq, last change).

    Pages are cut by encoded size, not by row count: the reply must fit a
    socket frame (``WEBSOCKET_MAX_FRAME_BYTES``), whatever the messages hold.
    A conversation's page holds first its ``changes`` (messages at or before
    the last seq changed after the last change: edits, deletions, reactions,
    pins) in change order, then, once every change is in, its new
    ``messages`` (after the last seq) in seq order, in their current version.
    ``cursor`` is where the client resumes; ``more`` says a next page waits.
    An item too large for any page on its own goes as a reference
    (``fetch: true``, no ``html``): the client loads that message over HTTP.
    """
    wanted: dict[int, tuple[int, int]] = {}
    for key, value in cursors.items():
        cursor = _cursor(value)
        if not str(key).isdigit() or cursor is None:
            continue
        wanted[int(key)] = cursor
    memberships = {
        m.conversation_id: m
        for m in Membership.objects.filter(user=user, conversation_id__in=list(wanted)[:100])
        .select_related("conversation")
    }
    gone = [str(pk) for pk in wanted if pk not in memberships]
    # The whole frame, less what is not an item: a long absence takes half
    # as many pages (each a round trip and its queries) as with half a frame.
    budget = events.ByteBudget(
        settings.WEBSOCKET_MAX_FRAME_BYTES - RESYNC_ENVELOPE - events.encoded_size(gone))
    result = {}
    for conversation_id, cursor in wanted.items():
        membership = memberships.get(conversation_id)
        if membership is None:
            continue
        budget.left -= RESYNC_PER_CONVERSATION
        result[str(conversation_id)] = _resync_page(membership, *cursor, budget)
    return {"conversations": result, "gone": gone}


# What a resync reply holds besides its items: the frame's envelope (type,
# action and the client's ref, a short counter), and each conversation's own
# fields (its id, more, unread, cursor: numbers of at most 20 digits).
RESYNC_ENVELOPE = 1024
RESYNC_PER_CONVERSATION = 160


RESYNC_CHUNK = 50  # rows read (and rendered) at a time while a page fills


def _resync_page(membership: Membership, last_seq: int, last_change: int, budget) -> dict:
    conversation_id = membership.conversation_id
    # Read with the membership, before the changes: every change numbered up
    # to it is committed (numbers are taken under the conversation's row lock,
    # in commit order), so once the changes read next are all in the page, the
    # client may resume from it. A change committed meanwhile is sent again
    # next time (harmless).
    known_change = membership.conversation.last_change
    page = {"messages": [], "changes": [], "more": False,
            "unread": max(0, membership.conversation.last_seq - membership.last_read_seq)}
    seq, change = last_seq, last_change
    limit = events.frame_budget()
    taken = {"bytes": 0, "items": 0}

    def add(kind: str, item: dict) -> bool:
        size = events.encoded_size(item)
        if size >= limit:
            # Too large for any page: a reference the client loads over HTTP.
            item = {k: v for k, v in item.items() if k != "html"} | {"fetch": True}
            size = events.encoded_size(item)
        if size + 1 > budget.left:  # + 1: the comma before it
            return False  # the next page starts with it
        budget.left -= size + 1
        taken["bytes"] += size + 1
        taken["items"] += 1
        page[kind].append(item)
        return True

    # Fragments come from chat.fragments: rendered once per version, so a
    # long absence costs reading them, not rendering each message again.
    changed = _messages(conversation_id).filter(seq__lte=last_seq, change__gt=last_change)
    after = last_change
    while last_change < known_change:  # else nothing changed: no query
        rows = fragments.load_rows(
            changed.filter(change__gt=after).order_by("change")[:RESYNC_CHUNK])
        for m, html in zip(rows, fragments.html_for(rows), strict=True):
            item = {"seq": m.seq, "change": m.change, "html": html,
                    "deleted": m.is_deleted, "pinned": m.pinned_at is not None}
            if not add("changes", item):
                page["more"] = True
                page["cursor"] = [seq, change]
                return page
            change = m.change
        if len(rows) < RESYNC_CHUNK:
            break
        after = rows[-1].change
    change = max(change, known_change)
    newer = _messages(conversation_id)
    chunk = RESYNC_CHUNK
    while True:
        rows = fragments.load_rows(newer.filter(seq__gt=seq).order_by("seq")[:chunk])
        for m, html in zip(rows, fragments.html_for(rows), strict=True):
            item = {"seq": m.seq, "change": m.change, "html": html}
            if not add("messages", item):
                page["more"] = True
                page["cursor"] = [seq, change]
                return page
            seq = m.seq
        if len(rows) < chunk:
            break
        # Next, about as many as the rest of the page holds, going by the
        # items so far: rows read beyond it are read again for the next page.
        average = taken["bytes"] / max(1, taken["items"])
        chunk = max(10, min(4 * RESYNC_CHUNK, int(budget.left / average) + 1))
    page["cursor"] = [seq, change]
    return page


def search(user: User, query: str, limit: int = 50) -> list[Message]:
    """Messages of the user's conversations matching every word of the query.

    Both sides are folded (chat.text.fold). PostgreSQL uses full-text search
    on the folded column (GIN index, migration 0002); SQLite a containment scan.
    """
    terms = search_terms(query)
    if not terms:
        return []
    rows = Message.objects.filter(
        conversation_id__in=Membership.objects.filter(user=user).values("conversation_id"),
        deleted_at__isnull=True,
    ).select_related("author", "conversation__directorate")
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        rows = rows.extra(
            where=["to_tsvector('simple', chat_message.search_text) @@ to_tsquery('simple', %s)"],
            params=[tsquery],
        )
    else:
        for term in terms:
            rows = rows.filter(search_text__contains=term)
    # Newest first by primary key (the insertion order, as created_at): the
    # database walks the key's index backwards and stops at ``limit`` matches
    # instead of sorting every match of a common word.
    return list(rows.order_by("-pk")[:limit])


def colleagues_by_username(names: list[str]) -> tuple[list[int], list[str]]:
    """(ids of the active users with these user names, the names that match none)."""
    found = dict(
        User.objects.filter(username__in=names, is_active=True, is_external=False)
        .values_list("username", "pk")
    )
    unknown = list(dict.fromkeys(n for n in names if n not in found))
    return list(found.values()), unknown


def mention_candidates(conversation: Conversation, query: str, limit: int = 8) -> list[dict]:
    """Members whose user name or full name (Arabic or Latin script) has a word
    starting with the query, folded the way chat search folds (alef forms,
    ta marbuta, accents, case). Folded in Python: a conversation's members are
    at most the ministry's staff, a few thousand short rows."""
    from .text import fold

    wanted = fold(query.strip().lstrip("@"))
    if not wanted:
        return []
    rows = (
        Membership.objects.filter(conversation=conversation, user__is_active=True)
        .select_related("user")
        .only("user__username", "user__first_name", "user__last_name", "user__full_name_ar",
              "user__avatar_key")
        .order_by("user__username")
    )
    found = []
    for m in rows.iterator(chunk_size=500):
        u = m.user
        names = [u.username, u.get_full_name(), u.full_name_ar or ""]
        words = [w for n in names for w in fold(n).split()] + [fold(n) for n in names if n]
        if any(w.startswith(wanted) for w in words):
            found.append({"username": u.username, "name": u.display_name, "user": u})
            if len(found) >= limit:
                break
    return found
