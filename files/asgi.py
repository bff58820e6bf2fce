"""Mounts the streaming upload endpoint in front of Django (see asgi.py)."""

from __future__ import annotations

import ctypes
import ctypes.util

from starlette.routing import Mount, Router

from .storage import prepare_file_store
from .upload_app import upload_app

UPLOAD_PREFIX = "/upload/"
M_MMAP_THRESHOLD = -3  # glibc's malloc.h

_router = Router(routes=[Mount(UPLOAD_PREFIX.rstrip("/"), app=upload_app)])


def _return_large_buffers_to_the_system() -> None:
    """Upload parts (8 MiB) are allocated and freed over and over by several
    threads. glibc raises its mmap threshold after the first such buffer is
    freed, so later ones come from per-thread heaps that keep the memory: the
    server's peak RSS then grew with each thread's share (151 MiB during a
    1 GiB upload on PostgreSQL, 135 MiB with a fixed threshold; see
    docs/benchmarks.md). A fixed 1 MiB threshold (what MALLOC_MMAP_THRESHOLD_
    sets) returns each buffer to the system when it is freed."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def with_upload_endpoint(django_app):
    """HTTP under /upload/ goes to Starlette (streams the body); the rest to Django."""
    _return_large_buffers_to_the_system()
    # The bucket is created at start if missing (logged, not fatal, if the store is down).
    prepare_file_store()

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(UPLOAD_PREFIX):
            await _router(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return app
