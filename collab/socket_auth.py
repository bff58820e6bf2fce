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

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib import auth


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
