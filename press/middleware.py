"""Keeps external accounts (press companies' members) inside the press space."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.utils import translation

# URL names outside the press namespace that an external account may reach:
# signing out, choosing the language, the public verification page, health.
EXTERNAL_ALLOWED_URL_NAMES = frozenset({
    "logout", "set_language", "verify_document", "verify_document_form", "healthz",
})


class ExternalAccountMiddleware:
    """An external account reaches only the press space.

    Any other page answers a redirect to the press space's home (a GET) or
    403 (anything else) before its view runs, so no intranet page, file,
    announcement or directory entry ever renders for it. The socket and the
    upload endpoint, which are not Django views, check ``is_external``
    themselves (collab.consumers, files.upload_app).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Arabic is the press space's default: a visitor who has not chosen a
        # language (no cookie, not signed in) reads it in Arabic whatever the
        # browser asks for; the switch in its header changes that.
        if (request.path_info.startswith(settings.PRESS_HOME_URL)
                and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
                and not getattr(getattr(request, "user", None), "is_authenticated", False)):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_external:
            return None
        match = request.resolver_match
        if match is not None and (
            "press" in match.namespaces
            or (not match.namespaces and match.url_name in EXTERNAL_ALLOWED_URL_NAMES)
        ):
            return None
        if request.method in ("GET", "HEAD"):
            return redirect(settings.PRESS_HOME_URL)
        return HttpResponseForbidden()
