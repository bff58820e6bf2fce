import json

from django.db import DatabaseError
from django.http import HttpResponseBadRequest, QueryDict
from django.utils import translation
from django.utils.cache import patch_vary_headers

from . import faults
from .text import http_text_problem, is_valid_utf8


class UserLanguageMiddleware:
    """A signed-in user's preferred language wins over the browser's and the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        return self.get_response(request)


def checks_text_itself(view):
    """Mark a view whose form (or service) reports bad characters beside the field.

    TextInputMiddleware then lets its requests through, so the person gets the
    form back with the error where they typed, instead of the generic page.
    """
    view.checks_text_itself = True
    return view


class TextInputMiddleware:
    """No control character, lone surrogate or undecodable byte reaches a view
    that does not check its text itself.

    Query parameters, form fields, uploaded file names and URL parts are
    checked. Django reads invalid UTF-8 in a parameter as U+FFFD, which
    collab.text refuses; raw (not percent-encoded) invalid bytes in a query
    string are refused by Django itself with a 400, and in a form body they
    would be read as Latin-1 without a trace, so they are checked here.
    Refusals answer 400 with a page (and, for htmx, an event the page shows)
    naming the field, in the person's language: never a database error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # URL parts are never in a form: checked for every view.
        problem = _bad_url_part(view_args, view_kwargs)
        if problem is None and getattr(view_func, "checks_text_itself", False):
            _undecodable_body_as_replacement(request)
            return None
        problem = problem or bad_input(request)
        if problem is None:
            return None
        field, description = problem
        from django.template.loader import render_to_string
        from django.utils.translation import gettext as _

        message = _("The field “%(field)s” was refused. %(problem)s") % {
            "field": field, "problem": description}
        html = render_to_string("collab/bad_input.html", {"message": message}, request=request)
        response = HttpResponseBadRequest(html)
        if getattr(request, "htmx", False):
            # htmx does not swap a 400; it still fires this event (collab.js shows it).
            response["HX-Trigger"] = json.dumps({"collab:bad-input": {"message": message}})
        return response


def _is_urlencoded(request) -> bool:
    return request.method == "POST" and request.content_type == "application/x-www-form-urlencoded"


def _undecodable_body_as_replacement(request) -> None:
    # A browser percent-encodes a form; raw invalid bytes would be read as
    # Latin-1. Read them as U+FFFD instead so the form's check reports them.
    if _is_urlencoded(request) and not is_valid_utf8(request.body):
        request.POST = QueryDict(request.body.decode("utf-8", "replace"), encoding="utf-8")


def _bad_url_part(view_args, view_kwargs) -> tuple[str, str] | None:
    for name, value in view_kwargs.items():
        if isinstance(value, str) and (problem := http_text_problem(value)):
            return name, problem
    for value in view_args:
        if isinstance(value, str) and (problem := http_text_problem(value)):
            return "url", problem
    return None


def bad_input(request) -> tuple[str, str] | None:
    """(parameter name, what is wrong) for the first unacceptable parameter, or None."""
    from django.utils.translation import gettext as _

    params = [request.GET]
    if request.method == "POST":
        if _is_urlencoded(request) and not is_valid_utf8(request.body):
            return "form", _("Part of it could not be read (it was not valid UTF-8 text).")
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            params.append(request.POST)
            for name, uploads in request.FILES.lists():
                for uploaded in uploads:
                    if problem := http_text_problem(uploaded.name or ""):
                        return name, problem
    for query in params:
        for name, values in query.lists():
            if problem := http_text_problem(name):
                return name[:40], problem
            for value in values:
                if problem := http_text_problem(value):
                    return name, problem
    return None


class DatabaseUnavailableMiddleware:
    """With the database out of reach, a page answers 503 at once, in the
    request's language, instead of a 500 after several connection timeouts.

    The connection is taken, and tested, before anything else asks for it
    (the session, the user): taking it is bounded (the pool's timeout), and it
    is the one the request would take anyway; the test is one round trip, and
    replaces the pool's dead connections after a database restart at once.
    /healthz reports the outage itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/healthz":
            try:
                faults.ensure_usable_connection()
            except DatabaseError as exc:
                if faults.outage_of(exc) is None:
                    raise
                faults.DATABASE.failed(exc)
                return faults.unavailable_page(request)
            faults.DATABASE.ok()
        return self.get_response(request)

    def process_exception(self, request, exception):
        # The database went away during the view.
        if faults.outage_of(exception) is faults.DATABASE:
            faults.DATABASE.failed(exception)
            return faults.unavailable_page(request)
        return None


class _ConsultedHtmx:
    """Stands for django-htmx's ``request.htmx`` and remembers which request
    headers the view read through it, so the response can say it varies on them."""

    _HEADERS = {"__bool__": "HX-Request", "target": "HX-Target", "trigger": "HX-Trigger",
                "trigger_name": "HX-Trigger-Name", "boosted": "HX-Boosted"}

    def __init__(self, details):
        self._details = details
        self.consulted: set[str] = set()

    def __bool__(self):
        self.consulted.add("HX-Request")
        return bool(self._details)

    def __getattr__(self, name):
        # Every attribute of django-htmx's details reads a request header.
        self.consulted.add(self._HEADERS.get(name, "HX-Request"))
        return getattr(self._details, name)


class HtmxVaryMiddleware:
    """``Vary`` on the htmx headers a view consulted: a page that answers an htmx
    request with a fragment and a browser with the full page must not have one
    answer served from a cache (the browser's back button included) for the other.

    Placed after django-htmx's middleware, so ``request.htmx`` exists."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        htmx = getattr(request, "htmx", None)
        if htmx is None:
            return self.get_response(request)
        request.htmx = watched = _ConsultedHtmx(htmx)
        response = self.get_response(request)
        if watched.consulted:
            patch_vary_headers(response, sorted(watched.consulted))
        return response
