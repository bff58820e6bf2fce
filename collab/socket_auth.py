"""Who opens a socket: its session and user.

Not Channels' ``AuthMiddlewareStack``: it resolves the user with a
thread-sensitive ``database_sync_to_async``, so every handshake of the
process waited its turn on one thread for its session and user queries, and
the consumer then needed more thread hops for its own reads. A reconnect storm
queued behind that one thread (bench/reconnect_storm.py). The consumer reads
the session key from the cookie (``CookieMiddleware``) and calls
``collab.selectors.socket_opening``, which loads the login with this function
and everything else the socket needs in one call, run on the thread pool
beside other handshakes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare


@dataclass
class _Handshake:
    """What ``django.contrib.auth.get_user`` reads of a request: its session."""

    session: object


def load_login(session_key: str | None):
    """The session of ``session_key`` and its user (``AnonymousUser`` if none).

    Django's own ``get_user``, as for pages: the session's auth hash is
    checked (secret key fallbacks included) and the session flushed when it no
    longer matches; an expired or deleted session, or an inactive user, gives
    an anonymous user.
    """
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    return session, auth.get_user(_Handshake(session))


@dataclass(frozen=True)
class QuickLogin:
    """A login read by ``quick_login``, with what the handshake asks of its user."""

    session: object
    user: object
    has_confirmed_device: bool
    unread: int


def _loaded_store(store_class):
    class LoadedStore(store_class):
        """The engine's store, given the data already read and decoded: ``load()``
        (the engine API Django's session backends implement) returns it, so
        reading the session, its device id say, costs no second query."""

        def __init__(self, session_key, data):
            super().__init__(session_key)
            self._data = data

        def load(self):
            return dict(self._data)

    return LoadedStore


_LOADED_STORES: dict[type, type] = {}
_PLAIN_BACKENDS: dict[str, bool] = {}


def _plain_model_backend(path: str) -> bool:
    """Whether the backend at ``path`` resolves a session's user as ModelBackend
    does: one row by primary key, refused when inactive."""
    if path not in _PLAIN_BACKENDS:
        backend = type(auth.load_backend(path))
        _PLAIN_BACKENDS[path] = (
            issubclass(backend, ModelBackend)
            and backend.get_user is ModelBackend.get_user
            and backend.user_can_authenticate is ModelBackend.user_can_authenticate
        )
    return _PLAIN_BACKENDS[path]


@functools.cache
def _user_sql(user_model, vendor: str) -> tuple[str, list[str]]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .selectors import unread_sql

    qn = connection.ops.quote_name
    fields = user_model._meta.concrete_fields
    user_table = qn(user_model._meta.db_table)
    device = TOTPDevice._meta
    columns = ", ".join(f"u.{qn(f.column)}" for f in fields)
    sql = (
        f"SELECT {columns}, "
        f"EXISTS (SELECT 1 FROM {qn(device.db_table)} d"
        f" WHERE d.{qn(device.get_field('user').column)} = u.{qn(user_model._meta.pk.column)}"
        f" AND d.{qn(device.get_field('confirmed').column)} = %s), "
        f"{unread_sql(f'u.{qn(user_model._meta.pk.column)}')} "
        f"FROM {user_table} u WHERE u.{qn(user_model._meta.pk.column)} = %s"
    )
    return sql, [f.attname for f in fields]


def quick_login(session_key: str | None) -> QuickLogin | None:
    """The login of ``session_key`` in two plain queries, or None when
    ``load_login`` must decide.

    The ORM costs about 1 ms of CPU a query here against 0.2 ms for the SQL
    itself; a reconnect storm is thousands of handshakes. This answers only
    the common case, where every check ``django.contrib.auth.get_user``
    makes passes at once: the database session engine, a session that
    exists, has not expired and decodes, names a backend in
    AUTHENTICATION_BACKENDS that resolves users as ModelBackend does, and
    carries the current auth hash of an active user. Anything else (no
    session, a stale hash, a key-rotation fallback, another engine or
    backend) returns None and goes through ``get_user`` itself, which also
    flushes or rehashes the session as it should. The user's row comes with
    whether a confirmed TOTP device exists and its unread count.
    """
    from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
    from django.contrib.sessions.models import Session

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if store_class is not DbSessionStore or not session_key or len(session_key) < 8:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT session_data FROM {connection.ops.quote_name(Session._meta.db_table)}"
            " WHERE session_key = %s AND expire_date > %s",
            [session_key, timezone.now()],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        # Invalid signatures decode to {} (logged as suspicious): no user id below.
        data = store_class().decode(row[0])
        user_model = auth.get_user_model()
        try:
            user_id = user_model._meta.pk.to_python(data[auth.SESSION_KEY])
            backend_path = data[auth.BACKEND_SESSION_KEY]
        except (KeyError, ValidationError):
            return None
        session_hash = data.get(auth.HASH_SESSION_KEY)
        if (not session_hash or backend_path not in settings.AUTHENTICATION_BACKENDS
                or not _plain_model_backend(backend_path)):
            return None
        sql, attnames = _user_sql(user_model, connection.vendor)
        cursor.execute(sql, [True, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = user_model.from_db(connection.alias, attnames, row[: len(attnames)])
    if not ModelBackend().user_can_authenticate(user) or not constant_time_compare(
        session_hash, user.get_session_auth_hash()
    ):
        return None
    loaded = _LOADED_STORES.get(store_class)
    if loaded is None:
        loaded = _LOADED_STORES[store_class] = _loaded_store(store_class)
    return QuickLogin(loaded(session_key, data), user, bool(row[-2]), int(row[-1]))
