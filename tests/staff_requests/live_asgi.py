"""ASGI app for the browser test's Daphne: the project's app plus static files
(plain `daphne asgi:application` serves no /static/)."""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

import asgi

_http = ASGIStaticFilesHandler(asgi.django_asgi_app)


async def application(scope, receive, send):
    if scope["type"] == "http":
        return await _http(scope, receive, send)
    return await asgi.application(scope, receive, send)
