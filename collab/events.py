"""Every socket event and client action, declared once.

An *event* goes from the server to browsers: it has a name, a payload schema
and an audience (which Channels group receives it). Producers call
``publish(EVENT, to=..., **payload)`` after persisting; delivery happens in
``transaction.on_commit`` so nobody is told about a row that was rolled back.

An *action* goes from a browser to the server over the same socket: a name,
a payload schema and the dotted path of the sync handler that serves it.

``docs/protocol.md`` documents both; ``tests/collab/test_protocol_doc.py``
checks that it names every declared event and action.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, Union, get_origin

import pydantic
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from typing_extensions import TypedDict, is_typeddict

from . import faults

logger = logging.getLogger(__name__)


class Audience(Enum):
    USER = "user"  # every tab of one user; key: user id
    SESSION = "session"  # every tab of one login session; key: session key
    DIRECTORATE = "directorate"  # every member of a directorate; key: directorate id
    CONVERSATION = "conversation"  # every member of a conversation; key: conversation id
    # Every account acting for an external organisation (a press company); key: its id.
    ORGANISATION = "organisation"


def group_name(audience: Audience, key: Any) -> str:
    if audience is Audience.SESSION:
        # Session keys are secrets: never put one in a Redis channel name.
        key = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    return f"{audience.value}.{key}"


# ---- Payload schemas -------------------------------------------------------
#
# A field's kind is a type annotation: int, str, bool, a tuple of types (any of
# them), or a nested shape (list[int], ByLanguage, a TypedDict...). Bare dict
# and list are refused for events (tests/collab/test_events.py): a client must
# know what is inside. Each event gets a strict pydantic model built from its
# fields; docs/protocol.md is generated from them (manage.py protocol_doc).

Language = Literal["ar", "fr", "en"]  # settings.LANGUAGES (checked by a test)
# One rendering per UI language; the client takes its page's.
ByLanguage = dict[Language, str]


class _AnnouncementRenderingBase(TypedDict):
    item: str  # the feed item (html)
    toast: str  # plain text


# total=False rather than NotRequired: with postponed annotations only the
# class keyword marks keys optional for every reader (pydantic, the doc).
class AnnouncementRendering(_AnnouncementRenderingBase, total=False):
    banner: str  # html, urgent announcements only


def _annotation(kind):
    if isinstance(kind, tuple):
        return Union[kind]  # noqa: UP007 - built from a runtime tuple
    return kind


def _runtime_type(kind):
    """What publish() checks on every call, cheaply: the outer type only."""
    if isinstance(kind, tuple):
        return tuple(_runtime_type(k) for k in kind)
    if is_typeddict(kind):
        return dict
    return get_origin(kind) or kind


def _schema(name: str, fields: dict, optional=frozenset()) -> type[pydantic.BaseModel]:
    # strict: no coercion ("3" is not an int, 1 is not True); forbid: no stray keys.
    config = pydantic.ConfigDict(strict=True, extra="forbid", protected_namespaces=())
    model_name = "".join(part.title() for part in re.split(r"[._]", name))
    return pydantic.create_model(
        model_name,
        __config__=config,
        **{k: (_annotation(kind), None if k in optional else ...) for k, kind in fields.items()},
    )


@dataclass(frozen=True)
class EventType:
    name: str
    audience: Audience
    fields: dict[str, Any]
    doc: str
    # The fields its reference form keeps (see publish()): small by construction.
    reference: tuple[str, ...] = ()
    schema: type[pydantic.BaseModel] | None = field(default=None, compare=False, repr=False)
    checks: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def check(self, payload: dict) -> dict:
        """Validate the whole payload, nested parts included; PayloadError if not."""
        validate(self.checks, payload)
        try:
            self.schema.model_validate(payload)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}"
                for error in exc.errors(include_url=False)
            )
            raise PayloadError(f"{self.name}: {problems}") from None
        return payload


@dataclass(frozen=True)
class ActionType:
    name: str
    fields: dict[str, type | tuple[type, ...]]
    handler: str  # dotted path to a sync callable(user, data) -> reply payload dict
    doc: str
    optional: frozenset[str] = field(default_factory=frozenset)


EVENTS: dict[str, EventType] = {}
ACTIONS: dict[str, ActionType] = {}
# Sent by the consumer itself, not through publish(): documented for clients.
DIRECT_EVENTS = {
    "hello": "First frame after connect: who you are and your unread notification count.",
    "reply": "Answer to a client action that carried a `ref`.",
    "error": "A frame was refused: code and human message; the socket stays open.",
}


def event(name: str, audience: Audience, fields: dict, doc: str,
          reference: tuple[str, ...] | None = None) -> EventType:
    """Declare an event. ``reference``: the fields kept when its frame is too
    large to send (default: its int and bool fields, ids and flags); keep
    only fields whose size is bounded."""
    if name in EVENTS:
        raise ValueError(f"event {name!r} declared twice")
    if reference is None:
        reference = tuple(k for k, kind in fields.items() if kind in (int, bool))
    unknown = set(reference) - set(fields)
    if unknown:
        raise ValueError(f"event {name!r}: reference names unknown fields {sorted(unknown)}")
    EVENTS[name] = EventType(
        name, audience, fields, doc, tuple(reference), schema=_schema(name, fields),
        checks={k: _runtime_type(kind) for k, kind in fields.items()},
    )
    return EVENTS[name]


def action(name: str, fields: dict, handler: str, doc: str, optional=()) -> ActionType:
    if name in ACTIONS:
        raise ValueError(f"action {name!r} declared twice")
    ACTIONS[name] = ActionType(name, fields, handler, doc, frozenset(optional))
    return ACTIONS[name]


class PayloadError(ValueError):
    pass


# ---- Frame sizes ------------------------------------------------------------
#
# Daphne refuses to *send* a frame larger than --websocket-max-message-size
# (WEBSOCKET_MAX_FRAME_BYTES): a reply that big closes the socket with 1011, an
# event that big is dropped. So every frame is measured as it is built, against
# a budget well under that limit.


def encode(value) -> str:
    """The wire form of a frame (the consumer sends exactly this)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encoded_size(value) -> int:
    """Bytes ``value`` takes in a frame (UTF-8 of :func:`encode`)."""
    return len(encode(value).encode())


def frame_budget() -> int:
    """Bytes a reply or an event may take: half the frame limit, so the envelope
    and a few more fields never reach the limit itself."""
    from django.conf import settings

    return settings.WEBSOCKET_MAX_FRAME_BYTES // 2


class ByteBudget:
    """What is left of a frame's budget while a reply is built item by item."""

    def __init__(self, limit: int | None = None):
        self.left = frame_budget() if limit is None else limit

    def fits(self, item) -> bool:
        return encoded_size(item) + 1 <= self.left  # + 1: the comma before it

    def take(self, item) -> bool:
        """Count ``item`` in if it fits; False (nothing counted) if it does not."""
        size = encoded_size(item) + 1
        if size > self.left:
            return False
        self.left -= size
        return True


def validate(fields: dict, payload: dict, optional: frozenset[str] = frozenset()) -> dict:
    unknown = set(payload) - set(fields)
    if unknown:
        raise PayloadError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, kind in fields.items():
        if name not in payload:
            if name in optional:
                continue
            raise PayloadError(f"missing field: {name}")
        value = payload[name]
        # bool is an int in Python; a schema that wants an int never wants a bool.
        if isinstance(value, bool) and kind is int:
            raise PayloadError(f"field {name} must be {kind.__name__}")
        if not isinstance(value, kind):
            kinds = (kind,) if isinstance(kind, type) else kind
            expected = "/".join(k.__name__ for k in kinds)
            raise PayloadError(f"field {name} must be {expected}")
    return payload


# ---- Events ---------------------------------------------------------------

NOTIFICATION_CREATED = event(
    "notification.created",
    Audience.USER,
    {"id": int, "kind": str, "title": str, "unread": int, "html": str},
    "A notification was stored for you. `title` and `html` (the rendered dropdown "
    "item) are in your language of the moment; `unread` is your new unread count.",
)
NOTIFICATION_READ = event(
    "notification.read",
    Audience.USER,
    {"ids": list[int], "unread": int},
    "Notifications were marked read (in any of your tabs); `ids` empty means all.",
)
SESSION_ENDED = event(
    "session.ended",
    Audience.SESSION,
    {"reason": str},
    "This login session ended: `reason` is \"logout\", \"session ended\" (expired or "
    "removed) or \"password changed\". The server closes the socket with code 4001 after it.",
)
ACCOUNT_DISABLED = event(
    "account.disabled",
    Audience.USER,
    {"reason": str},
    "The account was deactivated (`reason` \"account disabled\") or deleted (\"account "
    "deleted\"). The server closes every socket with code 4003 after it.",
)

# ---- Chat events ------------------------------------------------

CHAT_MESSAGE = event(
    "chat.message",
    Audience.CONVERSATION,
    {"conversation": int, "seq": int, "change": int, "author_id": int, "html": ByLanguage,
     "preview": str, "alert": list[int]},
    "A message was stored. `html` maps each language code to the rendered message; "
    "`seq` is its number in the conversation (1, 2, 3… without gaps), `preview` a short "
    "plain excerpt, `alert` the members to alert (desktop notification, sound): those "
    "mentioned and the other person of a direct message, unless they muted the conversation.",
    reference=("conversation", "seq", "change", "author_id", "preview", "alert"),
)
CHAT_MESSAGE_CHANGED = event(
    "chat.message.changed",
    Audience.CONVERSATION,
    {"conversation": int, "seq": int, "change": int, "html": ByLanguage, "deleted": bool,
     "pinned": bool},
    "A message was edited, deleted, reacted to, pinned or unpinned. `change` orders "
    "the changes of a conversation; `html` replaces the message.",
)
CHAT_TYPING = event(
    "chat.typing",
    Audience.CONVERSATION,
    {"conversation": int, "user_id": int, "names": ByLanguage},
    "A member is typing (at most every 3 s per member, never stored). `names` maps languages "
    "to the member's display name.",
)
CHAT_SEEN = event(
    "chat.seen",
    Audience.CONVERSATION,
    {"conversation": int, "user_id": int, "names": ByLanguage, "seq": int},
    "A member of a direct conversation or group has read up to `seq` (read receipts).",
)
CHAT_READ = event(
    "chat.read",
    Audience.USER,
    {"conversation": int, "seq": int, "unread": int, "total": int},
    "You read a conversation up to `seq` in one of your tabs; `unread` is what is left, "
    "`total` what is left in all your conversations (the Chat tab's count).",
)
CHAT_CONVERSATION_ADDED = event(
    "chat.conversation.added",
    Audience.USER,
    {"conversation": int, "html": str},
    "You became a member of a conversation; `html` is its sidebar item. Your sockets "
    "already joined its group.",
)
CHAT_CONVERSATION_REMOVED = event(
    "chat.conversation.removed",
    Audience.USER,
    {"conversation": int},
    "You are no longer a member of a conversation; your sockets already left its group.",
)
CHAT_CONVERSATION_UPDATED = event(
    "chat.conversation.updated",
    Audience.CONVERSATION,
    {"conversation": int, "title": str, "member_ids": list[int]},
    "A group was renamed or its members changed.",
    reference=("conversation", "title"),
)


# ---- Files events -----------------------------------------------

FILES_SHARED = event(
    "files.shared",
    Audience.USER,
    {"file_id": int, "html": str},
    "A file was shared with you (directly or through your directorate). `html` is its "
    "row for the Shared with me list, rendered in your language.",
)
FILES_REMOVED = event(
    "files.removed",
    Audience.USER,
    {"file_id": int},
    "You lost access to a file (share revoked or file deleted): remove row `#file-<id>`.",
)



# ---- Announcements events ---------------------------------------

# Fan-out goes to directorate groups; all-staff announcements go to the group
# "directorate.all" that every socket joins (announcements.sockets). One
# pre-rendered event per group; `render` holds one rendering per UI language
# ({"ar": {...}, "fr": {...}, "en": {...}}) and the client picks its own.
ANNOUNCEMENT_PUBLISHED = event(
    "announcement.published",
    Audience.DIRECTORATE,
    {"id": int, "priority": str, "pinned": bool, "render": dict[Language, AnnouncementRendering]},
    "An announcement addressed to this directorate (or to all staff, key `all`) was "
    "published. `render[lang]` has `item` (feed html), `toast` (text) and, when urgent, "
    "`banner` (html). The bell count goes up by one (`sync` returns the notification "
    "after a reconnect).",
    reference=("id", "priority", "pinned"),
)
ANNOUNCEMENT_UPDATED = event(
    "announcement.updated",
    Audience.DIRECTORATE,
    {"id": int, "render": dict[Language, AnnouncementRendering]},
    "A published announcement was edited: replace `#ann-<id>` with `render[lang].item` "
    "(it now carries the \"updated\" mark).",
)
ANNOUNCEMENT_WITHDRAWN = event(
    "announcement.withdrawn",
    Audience.DIRECTORATE,
    {"id": int},
    "An announcement was withdrawn, expired, or no longer addresses this directorate: "
    "remove `#ann-<id>` and `#ann-banner-<id>`.",
)
ANNOUNCEMENT_ACKNOWLEDGED = event(
    "announcement.acknowledged",
    Audience.USER,
    {"id": int},
    "You acknowledged an urgent announcement (in some tab): remove its banner.",
)
ANNOUNCEMENT_RECEIPTS = event(
    "announcement.receipts",
    Audience.USER,
    {"id": int, "render": ByLanguage},
    "Read/acknowledged counts of an announcement changed; sent to its author and the "
    "administrators. `render[lang]` replaces `#ann-stats-<id>`.",
)



# ---- Requests events --------------------------------------------

REQUEST_UPDATED = event(
    "request.updated",
    Audience.USER,
    {"id": int, "stage": str, "html": str, "balance_html": str},
    "One of your requests changed stage. `html` replaces `#request-<id>-status` "
    "(stage and timeline); `balance_html` replaces `#leave-balance`.",
    reference=("id", "stage"),
)

REQUEST_MESSAGE = event(
    "request.message",
    Audience.USER,
    {"id": int, "html": str},
    "A message was posted in the conversation of an application you take part in "
    "(applicant or officer; internal notes reach officers only). `html` is the "
    "re-rendered conversation, for `#request-<id>-conversation`.",
)

APPLICATION_UPDATED = event(
    "application.updated",
    Audience.ORGANISATION,
    {"id": int, "stage": str, "html": str},
    "One of your organisation's dossiers moved (stage, timeline, conversation, "
    "corrections). `html`, in the organisation's language, replaces "
    "`#dossier-<id>-live` on its page; lists reload the row.",
    reference=("id", "stage"),
)

REQUEST_QUEUE_CHANGED = event(
    "request.queue_changed",
    Audience.USER,
    {"id": int, "reference": str, "stage": str},
    "An application arrived at (or left) a step you decide: back-office queues "
    "reload their first page.",
)

# ---- Training events --------------------------------------------

TRAINING_ENROLMENT_CHANGED = event(
    "training.enrolment_changed",
    Audience.USER,
    {"course": str, "status": str},
    "Your enrolment in a course changed status (enrolled, waiting list, approved, "
    "withdrawn): the training pages reload it.",
)


# ---- Training content events ------------------------------------

TRAINING_PROGRESS = event(
    "training.progress",
    Audience.USER,
    {"course": str, "lesson": int, "progress": int, "completed": bool},
    "You completed a lesson of a course (its code): `progress` is your new percentage "
    "of the course's required lessons, `completed` whether the course is done.",
)
TRAINING_RESULT = event(
    "training.result",
    Audience.USER,
    {"course": str, "lesson": int, "kind": str, "passed": bool, "score": int},
    "A quiz you submitted was marked, or an assignment of yours graded (`kind` "
    "\"quiz\" or \"assignment\"): `score` out of 100 and whether it passed.",
)

# Events after which the consumer closes the socket, with the close code.
CLOSING_EVENTS = {SESSION_ENDED.name: 4001, ACCOUNT_DISABLED.name: 4003}

# ---- Client actions ------------------------------------------------------

PING = action("ping", {}, "collab.actions.ping", "Liveness check; the reply is empty.")
SYNC = action(
    "sync",
    {"notifications_after": int},
    "collab.actions.sync",
    "Resume after a reconnect: returns the unread count and the notifications created "
    "after the given id (oldest first, at most 50 and as many as fit one frame; `more`: "
    "ask again after the last one).",
)


# ---- Chat actions -----------------------------------------------

CHAT_SEND = action(
    "chat.send",
    {"conversation": int, "body": str, "reply_to": int, "client_id": str},
    "chat.actions.send",
    "Post a message (reply_to: the seq of the quoted message). The reply holds its seq. "
    "`client_id` (optional, 1-64 letters, digits, `-` or `_`, unique per message of the "
    "sender): sending again with the same one stores nothing new and replies with the "
    "message already stored, so a client retries safely after a lost reply.",
    optional=("reply_to", "client_id"),
)
CHAT_RESYNC = action(
    "chat.resync",
    {"conversations": dict},
    "chat.actions.resync",
    "After a reconnect: {conversation id: [last seq, last change]} for each open "
    "conversation; the reply holds one page (it fits one frame) of the missed edits/"
    "deletions then the missed messages in order, the `cursor` to resume from and `more`.",
)
CHAT_READ_ACTION = action(
    "chat.read",
    {"conversation": int, "seq": int},
    "chat.actions.read",
    "Mark a conversation read up to seq.",
)
CHAT_TYPING_ACTION = action(
    "chat.typing",
    {"conversation": int},
    "chat.actions.typing",
    "Say you are typing; throttled, never stored.",
)
CHAT_EDIT = action(
    "chat.edit",
    {"conversation": int, "seq": int, "body": str},
    "chat.actions.edit",
    "Edit one of your messages.",
)
CHAT_DELETE = action(
    "chat.delete",
    {"conversation": int, "seq": int},
    "chat.actions.delete",
    "Delete one of your messages.",
)
CHAT_REACT = action(
    "chat.react",
    {"conversation": int, "seq": int, "emoji": str},
    "chat.actions.react",
    "Toggle your reaction (one of the small emoji set) on a message.",
)
CHAT_PIN = action(
    "chat.pin",
    {"conversation": int, "seq": int, "pinned": bool},
    "chat.actions.pin",
    "Pin or unpin a message in a conversation.",
)
CHAT_PRESENCE = action(
    "chat.presence",
    {"state": str, "watch": list},
    "chat.actions.presence",
    "Heartbeat: your state (online/away); the reply gives the presence of the watched "
    "user ids (online/away/offline).",
)


# ---- Other apps' actions ---------------------------------------------------



# ---- Publishing ----------------------------------------------------------


def publish(event_type: EventType, *, to: Any, **payload) -> None:
    """Send an event to its audience once the current transaction commits.

    Delivery over Channels is at most once: what matters is already persisted,
    and clients close gaps with the ``sync`` action after a reconnect.

    Every event fits a frame, by construction: one whose frame is over the
    budget (``frame_budget()``; a 4,000-character message rendered in three
    languages, say) goes as its *reference*: the fields ``event_type.reference``
    names and ``"fetch": true``; the client fetches the rest (for a chat
    message: a resync). Daphne would not send the full frame at all.
    """
    if settings.COLLAB_VALIDATE_EVENTS:
        event_type.check(payload)  # tests and DEBUG: nested parts too
    else:
        validate(event_type.checks, payload)  # production: top-level types only
    group = group_name(event_type.audience, to)
    message = event_message(event_type.name, payload)
    size = len(message["frame"].encode())
    if size > frame_budget():
        reference = {k: payload[k] for k in event_type.reference} | {"fetch": True}
        message = event_message(event_type.name, reference)
        logger.info("%s to %s is %d bytes: sent as a reference", event_type.name, group, size)
    transaction.on_commit(lambda: _deliver(event_type, to, payload, group, message))


# Callables told of every event as it leaves (collab.testing's capture harness).
_recorders: list = []


def _deliver(event_type: EventType, to: Any, payload: dict, group: str, message: dict) -> None:
    for record in _recorders:
        record(event_type, to, group, payload)
    _group_send(group, message)


def event_message(name: str, payload: dict) -> dict:
    """The channel-layer message of an event. Its frame is encoded here, once,
    and every receiving socket sends it as is."""
    frame = encode({"type": "event", "event": name, "data": payload})
    return {"type": "collab.event", "event": name, "frame": frame}


def change_groups(user_id: int, *, join: list[str] = (), leave: list[str] = ()) -> None:
    """After commit, make every open socket of this user join or leave groups.

    Used when membership changes (added to or removed from a conversation):
    removal stops delivery at once, without waiting for a reconnect.
    """
    message = {"type": "collab.groups", "join": list(join), "leave": list(leave)}
    group = group_name(Audience.USER, user_id)
    transaction.on_commit(lambda: _group_send(group, message))


def recheck_logins(user_id: int) -> None:
    """After commit, make every open socket of this user check its login again
    (collab/session_guard.py); those whose login ended close."""
    message = {"type": "collab.recheck"}
    group = group_name(Audience.USER, user_id)
    transaction.on_commit(lambda: _group_send(group, message))


def _group_send(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        send_now = getattr(layer, "group_send_blocking", None)
        if send_now is not None:
            send_now(group, message)  # collab.layers: no hop into the event loop
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception as exc:  # the channel layer being down must not fail a committed write
        outage = faults.outage_of(exc)
        if outage is None:
            logger.exception(
                "could not deliver %s to %s", message.get("event", message["type"]), group
            )
        else:
            # Redis down: one line when it starts (and one when it ends), not
            # a traceback per event. Clients resync what they missed.
            outage.failed(exc)
        return
    faults.CHANNEL_LAYER.ok()
