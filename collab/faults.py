"""What the intranet does while the database or Redis is down.

- An outage is logged once when it starts and once when it ends (``Outage``),
  never a traceback per request, event or socket.
- A page answers 503 with a page that needs neither (``unavailable_page``),
  in the language the request asked for: the account is out of reach.
- A socket handshake that meets the outage is accepted and closed at once
  with 4503 (``guard_sockets``): Daphne would otherwise answer the upgrade
  with an HTTP 500, or after its own timeout with nothing the client can tell
  from a refusal. The client reconnects with back-off. (Not 1013 "try again
  later": autobahn, under Daphne, lets an application close only with 1000
  or 3000-4999.)
"""

from __future__ import annotations

import json
import logging
import threading
import time

import redis
from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

logger = logging.getLogger("collab.faults")

CLOSE_TRY_AGAIN_LATER = 4503  # as HTTP 503, as 4401 is HTTP 401
RETRY_AFTER = 5  # seconds a browser is told to wait before trying again


class Outage:
    """One line when a dependency fails first, one when it works again."""

    def __init__(self, what: str):
        self.what = what
        self.since: float | None = None
        self.failures = 0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        logger.error("%s unavailable: %s: %s", self.what, exc.__class__.__name__, exc)

    def ok(self) -> None:
        if self.since is None:  # the usual case: no lock on the hot path
            return
        with self._lock:
            if self.since is None:
                return
            seconds, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        logger.warning(
            "%s available again after %.0f s (%d operations failed meanwhile)",
            self.what, seconds, failures,
        )


DATABASE = Outage("database")
CHANNEL_LAYER = Outage("channel layer (Redis)")


def ensure_usable_connection() -> None:
    """Take this thread's database connection and make sure it works.

    After a database restart every idle pooled connection is dead. The pool's
    own check (CONN_HEALTH_CHECKS) tests one connection per request and backs
    off a second, then two, between failures: with a dozen dead connections
    pages kept failing for many seconds (measured). Here a dead connection
    makes the pool test all its idle ones at once and replace the dead.
    """
    connection.ensure_connection()
    pool = getattr(connection, "pool", None)  # PostgreSQL with OPTIONS["pool"] only
    if pool is None or connection.is_usable():
        return
    purge_dead_connections()
    connection.ensure_connection()


def purge_dead_connections() -> None:
    """Hand this thread's connection back (a broken one is discarded) and test the idle ones."""
    pool = getattr(connection, "pool", None)
    connection.close()
    if pool is not None:
        pool.check()


def outage_of(exc: BaseException) -> Outage | None:
    """The outage an exception reveals, or None for anything else (a bug stays a 500)."""
    if isinstance(exc, DatabaseError) and _is_connection_error(exc):
        return DATABASE
    if isinstance(exc, redis.RedisError | ConnectionError | TimeoutError):
        return CHANNEL_LAYER
    return None


def _is_connection_error(exc: DatabaseError) -> bool:
    # OperationalError and InterfaceError: the connection failed or is gone.
    # Data errors (IntegrityError...) are bugs or bad input, not an outage.
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


def unavailable_page(request=None) -> HttpResponse:
    """503 in the active language, rendered without the database (no context processors)."""
    response = HttpResponse(
        render_to_string("collab/unavailable.html", {}),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER)
    if request is not None:
        # Answered before django-htmx's middleware runs, so said here.
        patch_vary_headers(response, ["HX-Request"])
    if request is not None and request.headers.get("HX-Request") == "true":
        # htmx does not swap a 503; it still fires this event (collab.js shows it).
        message = _(
            "The intranet cannot reach its database right now. Nothing you saved is lost. "
            "Please try again in a few moments."
        )
        response["HX-Trigger"] = json.dumps({"collab:unavailable": {"message": str(message)}})
    return response


class LayerOutageFilter(logging.Filter):
    """The channel layer's reader logs a traceback whenever it loses Redis:
    the outage is logged once here instead (settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and outage_of(exc) is CHANNEL_LAYER:
            CHANNEL_LAYER.failed(exc)
            return False
        return True


def guard_sockets(app):
    """ASGI wrapper: a socket handshake that meets an outage closes with 4503."""

    async def guarded(scope, receive, send):
        if scope["type"] != "websocket":
            return await app(scope, receive, send)
        accepted = False

        async def tracking_send(message):
            nonlocal accepted
            if message["type"] in {"websocket.accept", "websocket.close"}:
                accepted = True  # answered: later failures are the consumer's own
            if message["type"] == "websocket.accept":
                # The consumer accepts after loading the user and joining its
                # groups: the database and the channel layer both work.
                DATABASE.ok()
                CHANNEL_LAYER.ok()
            await send(message)

        try:
            await app(scope, receive, tracking_send)
        except Exception as exc:
            outage = outage_of(exc)
            if outage is None or accepted:
                raise
            outage.failed(exc)
            if outage is DATABASE:
                # Perhaps a dead pooled connection after a restart: the retry must find good ones.
                await sync_to_async(purge_dead_connections)()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    return guarded
