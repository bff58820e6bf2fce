"""Streaming upload endpoint (Starlette), mounted at /upload/ in asgi.py.

Django's ASGI handler reads a whole request body before a view runs (it spools it first),
so uploads go through this small Starlette app instead: the body flows from
``request.stream()`` chunk by chunk into the file store (multipart to S3)
while being hashed, never whole in memory. See docs/benchmarks.md "Uploads"
for why this path rather than presigned direct-to-storage uploads.

``POST /upload/?name=<file name>[&replace=<file id>]`` with the raw bytes as
body. Authenticated by the Django session cookie plus the CSRF token in the
``X-CSRFToken`` header. Optional ``X-Content-SHA256: <64 hex digits>``, the
SHA-256 of the body: the bytes then go straight to their content key and are
checked before they are kept there (400 if they differ: nothing is kept);
without it they go to a temporary key, copied once hashed. Answers JSON:
``{"ok": true, "file_id", "version", "name", "size", "sha256",
"content_type"}`` or ``{"ok": false, "error"}`` with a translated message.
"""

from __future__ import annotations

import logging
from collections import deque
from importlib import import_module
from urllib.parse import urlparse

import anyio
from anyio.abc import TaskGroup
from anyio.from_thread import run as run_from_thread
from django.conf import settings
from django.contrib.auth import get_user
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from collab.csrf_tokens import token_matches_cookie
from collab.text import http_text_problem

from .storage import PART_SIZE, SHA256_HEX

logger = logging.getLogger(__name__)

# Body bytes read ahead of the store: one multipart part, so the next part is
# being received while the previous one is sent. Two parts showed no gain
# beyond noise and put a 1 GiB upload at 150 MiB peak RSS under uvicorn
# (docs/benchmarks.md, "Uploads").
READ_AHEAD = PART_SIZE
# What a read1() waits for, unless the body ends first.
READ1_AT_LEAST = 256 * 1024


class _Session:
    """The minimum of an HttpRequest that django.contrib.auth.get_user reads."""

    def __init__(self, session):
        self.session = session


def _user_for(session_key: str | None):
    if not session_key:
        return None
    engine = import_module(settings.SESSION_ENGINE)
    user = get_user(_Session(engine.SessionStore(session_key)))
    # External accounts (press space) have no My files: their uploads go
    # through the press space's own forms.
    if getattr(user, "is_external", False):
        return None
    return user if user.is_authenticated and user.is_active else None


def _csrf_ok(request: Request) -> bool:
    # A browser's cross-site POST carries its Origin: it must be this host
    # (or a trusted origin), as Django's own CSRF check requires.
    origin = request.headers.get("origin")
    if origin and origin not in settings.CSRF_TRUSTED_ORIGINS:
        if urlparse(origin).netloc != request.headers.get("host", ""):
            return False
    return token_matches_cookie(
        request.cookies.get(settings.CSRF_COOKIE_NAME, ""),
        request.headers.get("x-csrftoken", ""),
    )


class StreamReader:
    """A sync file-like view of the request body, read from a worker thread.

    The first read starts a task on the event loop that pulls body chunks
    into a buffer of at most ``READ_AHEAD`` bytes (plus one chunk) while the
    thread writes the part it took before: receiving from the client overlaps
    sending to the store. A full buffer stops the task reading the body, so
    the server stops reading the socket (uvicorn applies back-pressure) and
    memory stays flat whatever the file size. Each ``read(n)`` hands over up
    to ``n`` bytes (at most ``READ_AHEAD``) in one thread-to-loop hop, and
    ``read1(n)`` what has arrived once it is ``READ1_AT_LEAST`` or the rest (a
    request sent on while its body arrives); callers read until b"" (minio
    and the local store do).

    Each side wakes the other only when it can go on (the thread once enough
    has arrived, the pump once there is room again), not at every chunk: the
    server receives a body in chunks of 64 KiB or so, and a hop or a wake-up
    per chunk was a large share of the server's time under many uploads.
    """

    def __init__(self, request: Request, tasks: TaskGroup):
        self._chunks = request.stream()
        self._tasks = tasks
        self._buffer: deque[bytes] = deque()
        self._buffered = 0
        self._started = False
        self._done = False
        self._error: Exception | None = None
        # The pump and _take both run on the event loop: no lock needed.
        self._need = 0  # what the waiting thread needs before it goes on
        self._arrived: anyio.Event | None = None  # set for the waiting thread
        self._room: anyio.Event | None = None  # set for the waiting pump

    def _wake_reader(self) -> None:
        if self._arrived is not None and (self._done or self._buffered >= self._need):
            self._arrived.set()
            self._arrived = None

    async def _pump(self) -> None:
        try:
            while True:
                while self._buffered >= READ_AHEAD:
                    self._room = anyio.Event()
                    await self._room.wait()
                try:
                    chunk = await anext(self._chunks)
                except StopAsyncIteration:
                    return
                if chunk:
                    self._buffer.append(chunk)
                    self._buffered += len(chunk)
                    self._wake_reader()
        except Exception as exc:  # ClientDisconnect...: raised by the thread's next read
            self._error = exc
        finally:
            self._done = True
            self._wake_reader()

    async def _take(self, n: int, ready: bool = False) -> bytes:
        if not self._started:
            self._started = True
            self._tasks.start_soon(self._pump)
        want = min(n, READ_AHEAD) if n > 0 else READ_AHEAD
        self._need = min(want, READ1_AT_LEAST) if ready else want
        while self._buffered < self._need and not self._done:
            self._arrived = anyio.Event()
            await self._arrived.wait()
        if self._error is not None:
            raise self._error
        parts, size = [], 0
        while self._buffer and size < want:
            chunk = self._buffer.popleft()
            if size + len(chunk) > want:
                self._buffer.appendleft(chunk[want - size :])
                chunk = chunk[: want - size]
            parts.append(chunk)
            size += len(chunk)
        self._buffered -= size
        if self._room is not None and self._buffered < READ_AHEAD:
            self._room.set()  # room again for the pump
            self._room = None
        return b"".join(parts)

    def read(self, n: int = -1) -> bytes:
        return run_from_thread(self._take, n) if n != 0 else b""

    def read1(self, n: int = -1) -> bytes:
        """What has arrived, up to ``n`` bytes, once it is ``READ1_AT_LEAST`` or the rest."""
        return run_from_thread(self._take, n, True) if n != 0 else b""


async def upload(request: Request) -> JSONResponse:
    headers = request.headers
    declared = headers.get("content-length")
    async with anyio.create_task_group() as tasks:
        # One hop to a worker thread for everything that touches the
        # database or the store: a small upload is mostly fixed costs.
        response_data = await anyio.to_thread.run_sync(
            _upload_in_thread,
            request.cookies.get(settings.SESSION_COOKIE_NAME),
            _csrf_ok(request),
            StreamReader(request, tasks),
            request.query_params.get("name", ""),
            request.query_params.get("replace", ""),
            int(declared) if declared and declared.isdigit() else None,
            headers.get("x-content-sha256"),
        )
        # The answer is known: stop reading ahead (a refused body stays unread).
        tasks.cancel_scope.cancel()
    status = response_data.pop("_status", 200)
    after = response_data.pop("_after", None)
    background = None
    if after is not None:  # the scan, the thumbnail: once the person has the answer
        background = BackgroundTask(anyio.to_thread.run_sync, _after_upload_in_thread, after)
    return JSONResponse(response_data, status_code=status, background=background)


def _upload_in_thread(
    session_key, csrf_ok, body: StreamReader, name, replace_id, declared_size, declared_sha256
) -> dict:
    from django.http import Http404

    from . import selectors, services

    close_old_connections()
    try:
        user = _user_for(session_key)
        if user is None:
            return {"ok": False, "error": "not signed in", "_status": 401}
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            if not csrf_ok:
                return {
                    "ok": False,
                    "error": _("Your session has expired: reload the page and try again."),
                    "_status": 403,
                }
            if problem := http_text_problem(name):
                # Refused rather than silently cut: the person sees why.
                return {"ok": False, "error": _("File name: %(problem)s") % {"problem": problem},
                        "_status": 400}
            if declared_sha256 is not None:
                declared_sha256 = declared_sha256.strip().lower()
                if not SHA256_HEX.fullmatch(declared_sha256):
                    return {
                        "ok": False,
                        "error": _("The file's checksum (X-Content-SHA256) must be 64 "
                                   "hexadecimal characters."),
                        "_status": 400,
                    }
            try:
                replace = None
                if replace_id:
                    if not replace_id.isdigit():
                        raise Http404
                    replace = selectors.owned_file(user, int(replace_id))
                # Refuses on the declared size before reading a single byte.
                version = services.upload_file(
                    user,
                    body,
                    name,
                    declared_size=declared_size,
                    declared_sha256=declared_sha256,
                    replace=replace,
                    thumbnail_later=True,
                )
            except services.UploadRefused as exc:
                return {"ok": False, "error": exc.message, "_status": exc.status}
            except Http404:
                return {"ok": False, "error": _("No such file."), "_status": 404}
            except Exception:  # client gone, a bug...
                logger.exception("upload failed")
                return {
                    "ok": False,
                    "error": _("The upload failed. Nothing was kept."),
                    "_status": 500,
                }
            return {
                "ok": True,
                "file_id": version.file_id,
                "version_id": version.pk,
                "version": version.number,
                "name": version.file.name,
                "size": version.size,
                "sha256": version.sha256,
                "content_type": version.content_type,
                "scan_status": version.scan_status,
                "_after": version if services.needs_after_upload(version) else None,
            }
    finally:
        # As Django does at the end of a request: a connection is kept for
        # the thread's next upload within CONN_MAX_AGE, closed past it.
        close_old_connections()


def _after_upload_in_thread(version) -> None:
    from . import services

    close_old_connections()
    try:
        services.after_upload(version)
    except Exception:
        logger.exception("after the upload of version %s", version.pk)
    finally:
        close_old_connections()


upload_app = Starlette(routes=[Route("/", upload, methods=["POST"])])
