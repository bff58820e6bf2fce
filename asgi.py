"""ASGI entry point: HTTP to Django (uploads under /upload/ to a Starlette
sub-app that streams to the file store), WebSocket /ws/ to the one consumer."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collab.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import path  # noqa: E402

from announcements.scheduler import with_in_process_scheduler  # noqa: E402
from collab.consumers import CollabConsumer  # noqa: E402
from collab.faults import guard_sockets  # noqa: E402
from files.asgi import with_upload_endpoint  # noqa: E402

if not settings.PRODUCTION:
    # Plain Daphne serves no static files: on embedded defaults (make run, the
    # browser tests) Django serves /static/ itself; in production nginx does.
    django_asgi_app = ASGIStaticFilesHandler(django_asgi_app)

websocket_urlpatterns = [path("ws/", CollabConsumer.as_asgi())]

router = ProtocolTypeRouter(
    {
        "http": with_upload_endpoint(django_asgi_app),
        # A handshake that meets a database or Redis outage closes with 4503.
        # No AuthMiddlewareStack: the consumer loads its session and user with
        # the rest of what it reads, in one thread hop (collab/socket_auth.py).
        "websocket": guard_sockets(
            AllowedHostsOriginValidator(CookieMiddleware(URLRouter(websocket_urlpatterns)))
        ),
    }
)
# With the in-memory channel layer, the announcements scheduler runs here.
application = with_in_process_scheduler(router)
