"""The real ASGI app, plus /static/ served from the apps (the Daphne CLI serves no static
files): what the browser test runs under Daphne."""

from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

import asgi

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(asgi.django_asgi_app),
        "websocket": asgi.application.application_mapping["websocket"],
    }
)
