"""Open sockets end with the login that opened them, however it ends.

A socket is authenticated once, at the handshake; the login can end later by
paths no signal sees: ``QuerySet.update(is_active=False)``, a password hash
written by a script, a session row deleted or expired. So three layers:

- every client action checks the login first, in the thread that runs the
  action (``check``): an action on an ended login is refused at once;
- each worker process sweeps its own sockets every ``SESSION_SWEEP_SECONDS``
  with one batch (two queries: sessions, users), whatever their number, and
  closes those whose login ended (``Sweeper``);
- signals (collab/signals.py) tell the sockets at once in the common cases
  (logout, password change, deactivation, deletion).

A login stands while its session exists and has not expired, names this
user, carries the hash of the user's current password (Django's session auth
hash, as ``django.contrib.auth.get_user`` checks it), and the user exists and
is active.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.core.cache import caches
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from . import events

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Login:
    """What a socket was opened under."""

    session_key: str
    user_id: int


@dataclass(frozen=True)
class Ended:
    """Why a login ended: the closing event to send and its ``reason``."""

    event: events.EventType
    reason: str


SESSION_GONE = Ended(events.SESSION_ENDED, "session ended")
PASSWORD_CHANGED = Ended(events.SESSION_ENDED, "password changed")
ACCOUNT_DISABLED = Ended(events.ACCOUNT_DISABLED, "account disabled")
ACCOUNT_DELETED = Ended(events.ACCOUNT_DISABLED, "account deleted")


class LoginEnded(Exception):
    def __init__(self, ended: Ended):
        super().__init__(ended.reason)
        self.ended = ended


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


class Memo:
    """What one sweep decoded, reused by the next while unchanged: a session's
    data while its stored text is the same, a user's session auth hash while
    the password hash is the same. A sweep then costs its two queries, not a
    signature check and an HMAC per socket (bench/session_sweep.py)."""

    def __init__(self):
        self.sessions: dict[str, tuple[str, dict]] = {}
        self.hashes: dict[tuple[int, str], str] = {}


def _load_sessions(keys: set[str], memo: Memo | None = None) -> dict[str, dict]:
    """The data of the sessions among ``keys`` that exist and have not expired."""
    if not keys:
        return {}
    store = _session_store()
    if issubclass(store, DbSessionStore):
        # db and cached_db: the row is the authority (logout deletes it).
        model = store.get_model_class()
        rows = model.objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        ).values_list("session_key", "session_data")
        known = memo.sessions if memo is not None else {}
        decoded = {}
        for key, text in rows:
            seen = known.get(key)
            if seen is not None and seen[0] == text:
                decoded[key] = seen
            else:
                decoded[key] = (text, model(session_key=key, session_data=text).get_decoded())
        if memo is not None:
            memo.sessions = decoded  # only the sessions still watched
        return {key: data for key, (_text, data) in decoded.items()}
    if issubclass(store, CacheSessionStore):
        # The cache expires sessions itself.
        cache_keys = {store(session_key=key).cache_key: key for key in keys}
        found = caches[settings.SESSION_CACHE_ALIAS].get_many(list(cache_keys))
        return {cache_keys[cache_key]: data for cache_key, data in found.items()}
    # Other engines (files, signed cookies) read one session at a time.
    return {key: data for key in keys if (data := store(session_key=key).load())}


def _hash_stands(stored, pk: int, password: str, memo: Memo | None = None) -> bool:
    from .models import User

    if not stored:
        return False
    current = memo.hashes.get((pk, password)) if memo is not None else None
    if current is None:
        # An unsaved instance holding the stored hash: the model's own method
        # computes the session auth hash, whatever the user class does.
        current = User(pk=pk, password=password).get_session_auth_hash()
        if memo is not None:
            memo.hashes[(pk, password)] = current
    if constant_time_compare(stored, current):
        return True
    # Sessions signed before a SECRET_KEY rotation stay valid, as in get_user().
    return any(
        constant_time_compare(stored, fallback)
        for fallback in User(pk=pk, password=password).get_session_auth_fallback_hash()
    )


def check_many(logins: Iterable[Login], memo: Memo | None = None) -> dict[Login, Ended]:
    """The logins among ``logins`` that ended, with why. Two queries in all.

    ``memo``: kept by the caller from one call to the next (a sweeper)."""
    from .models import User

    logins = set(logins)
    if not logins:
        return {}
    # Plain rows, not model instances: a sweep reads thousands.
    users = {
        pk: (password, is_active)
        for pk, password, is_active in User.objects.filter(
            pk__in={login.user_id for login in logins}
        ).values_list("pk", "password", "is_active")
    }
    sessions = _load_sessions({login.session_key for login in logins}, memo)
    if memo is not None:
        memo.hashes = {
            key: value for key, value in memo.hashes.items()
            if key[0] in users and users[key[0]][0] == key[1]
        }
    ended = {}
    for login in logins:
        why = _ended(login, users.get(login.user_id), sessions.get(login.session_key), memo)
        if why is not None:
            ended[login] = why
    return ended


def _ended(login: Login, user, session, memo: Memo | None = None) -> Ended | None:
    """Why ``login`` ended, given its user's (password, is_active) and its
    session's data (None when missing); None if it stands."""
    if user is None:
        return ACCOUNT_DELETED
    if not user[1]:
        return ACCOUNT_DISABLED
    if not session or str(session.get(SESSION_KEY)) != str(login.user_id):
        return SESSION_GONE
    if not _hash_stands(session.get(HASH_SESSION_KEY), login.user_id, user[0], memo):
        return PASSWORD_CHANGED
    return None


def _check_one(login: Login) -> Ended | None:
    """``check_many`` of one login in one plain query: every socket action runs
    it first, and the two ORM queries cost about ten times the SQL itself."""
    from django.db import connection

    from .models import User

    model = _session_store().get_model_class()
    qn = connection.ops.quote_name
    user_meta = User._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.{qn(user_meta.get_field('password').column)},"
            f" u.{qn(user_meta.get_field('is_active').column)},"
            f" (SELECT s.session_data FROM {qn(model._meta.db_table)} s"
            f" WHERE s.session_key = %s AND s.expire_date > %s)"
            f" FROM {qn(user_meta.db_table)} u WHERE u.{qn(user_meta.pk.column)} = %s",
            [login.session_key, timezone.now(), login.user_id],
        )
        row = cursor.fetchone()
    if row is None:
        return ACCOUNT_DELETED
    password, is_active, text = row
    session = None
    if text is not None:
        session = model(session_key=login.session_key, session_data=text).get_decoded()
    return _ended(login, (password, is_active), session)


def check(login: Login) -> None:
    """Raise LoginEnded unless ``login`` still stands (sync: run it in the action's thread)."""
    if issubclass(_session_store(), DbSessionStore):
        # db and cached_db: the row is the authority, as in _load_sessions.
        ended = _check_one(login)
    else:
        ended = check_many([login]).get(login)
    if ended is not None:
        raise LoginEnded(ended)


def _check_many_in_thread(logins: set[Login], memo: Memo) -> dict[Login, Ended]:
    try:
        return check_many(logins, memo)
    finally:
        # This thread's connection is closed when stale, as in consumers.in_thread.
        close_old_connections()


class Sweeper:
    """The sockets of one event loop (one Daphne process), checked together.

    ``add``/``discard`` are called by consumers as they connect and leave; a
    socket is anything with a ``login`` (Login) and an async ``end(Ended)``.
    The sweeping task runs only while sockets are watched.
    """

    def __init__(self):
        self.sockets: dict[object, Login] = {}
        self.task: asyncio.Task | None = None
        self.failing = False
        self.memo = Memo()  # used by one sweep at a time: they run in turn

    def add(self, socket) -> None:
        self.sockets[socket] = socket.login
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, socket) -> None:
        self.sockets.pop(socket, None)
        task = self.task
        if not self.sockets and task is not None and task is not asyncio.current_task():
            # Nothing left to watch: no task left sleeping in an idle process
            # (or in a test's event loop about to close).
            task.cancel()
            self.task = None

    async def sweep(self) -> int:
        """Close the sockets whose login ended; returns how many."""
        if not self.sockets:
            return 0
        ended = await sync_to_async(_check_many_in_thread, thread_sensitive=False)(
            set(self.sockets.values()), self.memo
        )
        closed = 0
        for socket, login in list(self.sockets.items()):
            if login in ended:
                self.sockets.pop(socket, None)
                try:
                    await socket.end(ended[login])
                    closed += 1
                except Exception:
                    logger.exception("could not close a socket whose login ended")
        return closed

    async def _run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.SESSION_SWEEP_SECONDS)
            try:
                await self.sweep()
            except Exception as exc:
                # Database down: the sockets stay, actions fail their own check,
                # and the next sweep tries again. One line when it starts failing,
                # one when it works again, not one per sweep.
                if not self.failing:
                    logger.error("session sweep failed, retrying: %r", exc)
                self.failing = True
            else:
                if self.failing:
                    logger.warning("session sweep works again")
                self.failing = False


_sweepers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sweeper() -> Sweeper:
    """The sweeper of the running event loop."""
    loop = asyncio.get_running_loop()
    found = _sweepers.get(loop)
    if found is None:
        found = _sweepers[loop] = Sweeper()
    return found
