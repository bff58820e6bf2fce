"""Mounts the streaming upload endpoint in front of Django (see asgi.py)."""

from __future__ import annotations

from starlette.routing import Mount, Router

from .storage import prepare_file_store
from .upload_app import upload_app

UPLOAD_PREFIX = "/upload/"

_router = Router(routes=[Mount(UPLOAD_PREFIX.rstrip("/"), app=upload_app)])


def with_upload_endpoint(django_app):
    """HTTP under /upload/ goes to Starlette (streams the body); the rest to Django."""
    # The bucket is created at start if missing (logged, not fatal, if the store is down).
    prepare_file_store()

    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(UPLOAD_PREFIX):
            await _router(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return app
