"""The one WebSocket each browser tab opens at /ws/.

It joins the user's groups after checking the user, turns channel-layer
events into frames, and routes client actions to the handlers declared in
collab/events.py. It holds no business logic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from . import events, session_guard, shutdown
from .actions import ActionError
from .selectors import socket_opening
from .text import bad_char_message, find_bad_in

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
# Frames refused in a row before the socket is closed with 1008: a client of
# ours never sends one; a script probing the protocol gets a few answers only.
MAX_REFUSED_IN_A_ROW = 20
REFUSALS = frozenset({"bad_frame", "bad_text", "bad_payload", "unknown_action"})


def in_thread(func, *, thread_sensitive: bool = True):
    """``database_sync_to_async(func)``, with Django's stale-connection check run
    inside ``func``'s own call.

    database_sync_to_async runs that check around the call, where it did not
    see the connection ``func`` opened (asgiref's thread-critical storage): a
    connection past CONN_MAX_AGE, or broken, was never closed (seen with the
    tests' CONN_MAX_AGE=0: still open when the test database was dropped).
    Connections are still reused from call to call within CONN_MAX_AGE.
    """

    def run(*args):
        try:
            return func(*args)
        finally:
            close_old_connections()

    return database_sync_to_async(run, thread_sensitive=thread_sensitive)


class CollabConsumer(AsyncWebsocketConsumer):
    # No class-level `groups`: Channels would join them before connect() checks the user.

    async def dispatch(self, message):
        # Channels 4.3 awaits aclose_old_connections() (a thread-pool round trip)
        # before every handler. Event delivery never touches the database, and
        # every database call here goes through in_thread(), which closes
        # stale connections in its own thread, so we skip that hop.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        if await self.refuse_while_stopping():
            return
        # The login and everything the socket reads, in one thread hop run
        # beside other handshakes' (not thread-sensitive: in a reconnect storm
        # every handshake of the process would queue on one thread).
        opening = await in_thread(socket_opening, thread_sensitive=False)(
            self.scope["cookies"].get(settings.SESSION_COOKIE_NAME)
        )
        user = self.scope["user"] = opening.user
        self.scope["session"] = opening.session
        # A session still waiting for its second factor has no pages, so no socket.
        if not user.is_authenticated or not user.is_active or opening.needs_code:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        # collab.layers writes plain event frames to this socket itself (no task
        # hop per socket); other layers queue them for collab_event below.
        set_writer = getattr(self.channel_layer, "set_writer", None)
        if set_writer is not None:
            set_writer(self.channel_name, self.base_send, self.direct_frame)
        self.joined: list[str] = opening.groups
        # All at once: each join may be a Redis round trip.
        joins = await asyncio.gather(
            *(self.channel_layer.group_add(group, self.channel_name) for group in self.joined),
            return_exceptions=True,
        )
        failed = next((result for result in joins if isinstance(result, BaseException)), None)
        if failed is not None:
            # Redis out of reach: no group may keep this channel, which dies
            # here (collab.faults answers the handshake with 4503). Leaving
            # may fail too; the core layer's entries then expire.
            for group in self.joined:
                with contextlib.suppress(Exception):
                    await self.channel_layer.group_discard(group, self.channel_name)
            raise failed
        self.watch_login()
        await self.accept()
        self.track_for_shutdown()
        await self.send_frame(
            {
                "type": "hello",
                "user": {"id": user.pk, "username": user.username},
                "unread": opening.unread,
            }
        )

    async def websocket_disconnect(self, message):
        # As Channels' own, less its aclose_old_connections(): a thread-pool
        # round trip per closing socket (a storm closes thousands) for a
        # handler that reads nothing; there are no class-level groups to leave.
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code):
        shutdown.unregister(self)
        if getattr(self, "login", None) is not None:
            session_guard.sweeper().discard(self)
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def join_group(self, group: str) -> None:
        """For later features (conversations): join after the caller checked access."""
        if group not in self.joined:
            self.joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def leave_group(self, group: str) -> None:
        if group in self.joined:
            self.joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_frame(self, frame: dict) -> None:
        text = events.encode(frame)
        size = len(text.encode())
        if size > settings.WEBSOCKET_MAX_FRAME_BYTES:
            # Daphne would refuse to send it and close the socket with 1011.
            # Replies are built to fit (events.frame_budget()): this is a bug.
            logger.error("%s frame of %s too large to send (%d bytes)",
                         frame.get("type"), frame.get("action"), size)
            error = {"type": "error", "code": "server_error",
                     "message": _("The server could not process this action.")}
            if "ref" in frame:
                error["ref"] = frame["ref"]
            text = events.encode(error)
        await self.send(text_data=text)

    async def error(self, code: str, message: str, ref=None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        await self.send_frame(frame)
        if code in REFUSALS:
            self.refused_in_a_row += 1
            if self.refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                await self.close(code=CLOSE_POLICY)

    refused_in_a_row = 0

    async def receive(self, text_data=None, bytes_data=None):
        if self.ended:
            return  # frames still in flight after the login ended: refused, unread
        if shutdown.draining:
            return  # not run, not answered: the client resends it after reconnecting
        self.idle.clear()
        try:
            # Error messages are shown to a person: in that person's language.
            with translation.override(self.user.preferred_language):
                await self._receive(text_data, bytes_data)
        finally:
            self.idle.set()

    async def _receive(self, text_data, bytes_data):
        raw = text_data if text_data is not None else bytes_data
        if raw is not None and len(raw) > settings.WEBSOCKET_MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if text_data is None:
            await self.error("bad_frame", _("Frames must be JSON text."))
            return
        frame = await self._decode(text_data)
        if frame is None:
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("action"), str):
            await self.error("bad_frame", _("Frame must be an object with an 'action' string."))
            return
        ref = frame.get("ref")
        if ref is not None and not isinstance(ref, str | int):
            ref = None
        action = events.ACTIONS.get(frame["action"])
        if action is None:
            message = _("Unknown action: %(name)s") % {"name": frame["action"][:64]}
            await self.error("unknown_action", message, ref)
            return
        data = frame.get("data", {})
        if not isinstance(data, dict):
            await self.error("bad_frame", _("'data' must be an object."), ref)
            return
        try:
            events.validate(action.fields, data, action.optional)
        except events.PayloadError as exc:
            await self.error("bad_payload", _("Invalid data: %(problem)s") % {"problem": exc}, ref)
            return
        self.refused_in_a_row = 0
        handler = import_string(action.handler)
        try:
            # Not thread-sensitive: Channels would otherwise run every action of
            # every socket of this process on one thread, one after the other
            # (chat sends queued for seconds under load; docs/benchmarks.md).
            # Handlers are self-contained sync functions; Django connections
            # are per thread, closed when stale by in_thread.
            run = in_thread(self.checking_login(handler), thread_sensitive=False)
            result = await run(self.user, data)
        except session_guard.LoginEnded as exc:
            await self.end(exc.ended)
            return
        except ActionError as exc:
            await self.error(exc.code, exc.message, ref)
            return
        except Exception:
            logger.exception("action %s failed", action.name)
            await self.error("server_error", _("The server could not process this action."), ref)
            return
        # Some actions change what this socket listens to (e.g. opening a conversation).
        for group in (result or {}).pop("_join", []):
            await self.join_group(group)
        for group in (result or {}).pop("_leave", []):
            await self.leave_group(group)
        reply = {"type": "reply", "action": action.name, "data": result or {}}
        if ref is not None:
            reply["ref"] = ref
        await self.send_frame(reply)

    # ---- Worker shutdown (collab/shutdown.py, collab/server.py) -------------

    async def refuse_while_stopping(self) -> bool:
        """A handshake that comes while the worker stops: accepted and closed
        with 1001 at once, so the client reconnects to another worker."""
        if not shutdown.draining:
            return False
        await self.accept()
        await self.close(code=shutdown.CLOSE_GOING_AWAY)
        return True

    def track_for_shutdown(self) -> None:
        # Set while no action runs: the drain waits for it before closing.
        self.idle = asyncio.Event()
        self.idle.set()
        shutdown.register(self)

    async def _decode(self, text_data: str):
        """The frame as JSON, or None once the client was told what is wrong with it.

        Every string of the frame is checked here, before any handler sees it:
        a lone surrogate (``"\\ud800"`` in JSON) or a NUL would otherwise fail
        later, when the reply is encoded or the row written (a 1011 close).
        """
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep
            await self.error("bad_frame", _("Frame is not valid JSON."))
            return None
        char = find_bad_in(frame)
        if char is not None:
            ref = frame.get("ref") if isinstance(frame, dict) else None
            if not isinstance(ref, str | int) or isinstance(ref, bool) or find_bad_in(ref):
                ref = None
            await self.error("bad_text", bad_char_message(char), ref)
            return None
        return frame

    async def collab_groups(self, message):
        for group in message.get("leave", []):
            await self.leave_group(group)
        for group in message.get("join", []):
            await self.join_group(group)

    @staticmethod
    def direct_frame(message: dict) -> str | None:
        """The frame of an event any socket may send as is; None if the consumer must act."""
        if message.get("type") == "collab.event" and message["event"] not in events.CLOSING_EVENTS:
            return message["frame"]
        return None

    async def collab_event(self, message):
        close_code = events.CLOSING_EVENTS.get(message["event"])
        if close_code and self.ended:
            return  # already told and closed
        try:
            await self.send(text_data=message["frame"])
        except Exception:  # a lost event is an error, never a debug line
            if shutdown.draining:
                return  # this socket is closing with 1001: the client resyncs
            logger.error("could not send %s (%d bytes)", message["event"],
                         len(message["frame"].encode()), exc_info=True)
        if close_code:
            self.ended = True
            await self.close(code=close_code)

    # ---- The login behind the socket (collab/session_guard.py) -------------

    ended = False  # the login ended: nothing more is read from this socket

    def watch_login(self) -> None:
        """Have this process's sweep close the socket when its login ends."""
        session = self.scope.get("session")
        if session is None or not session.session_key:
            return
        self.login = session_guard.Login(session.session_key, self.user.pk)
        session_guard.sweeper().add(self)

    def checking_login(self, handler):
        """``handler``, run only if the login still stands: checked in the
        action's own thread and call, so an action right after the login
        ended (by any path, signals or not) is refused, not run."""
        login = getattr(self, "login", None)

        def run(user, data):
            if login is not None:
                session_guard.check(login)
            return handler(user, data)

        return run

    async def collab_recheck(self, message):
        """Something changed the user's password: does this socket's login stand?"""
        if self.ended or getattr(self, "login", None) is None:
            return
        try:
            await in_thread(session_guard.check, thread_sensitive=False)(self.login)
        except session_guard.LoginEnded as exc:
            await self.end(exc.ended)
        except Exception as exc:
            # Database out of reach: the sweep and each action check again.
            logger.warning("could not recheck a socket's login: %r", exc)

    async def end(self, ended: session_guard.Ended) -> None:
        """Tell the client its login ended, then close with the event's code."""
        session_guard.sweeper().discard(self)
        await self.collab_event(
            events.event_message(ended.event.name, {"reason": ended.reason})
        )
