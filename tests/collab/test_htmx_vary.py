"""Every page that answers htmx with a fragment and a browser with the whole page
says so in ``Vary``: otherwise a cache (the browser's back button included)
may serve one answer for the other.

The views that branch are found by walking the URL conf and reading each view's
code (and the helpers of its module it calls) for ``request.htmx``: a new view
that branches fails here until it is listed below and exercised."""

from __future__ import annotations

import inspect
import re
import types

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from collab.models import User

_READS_HTMX = re.compile(r"\.htmx\b")


def _code_of(func, seen: set) -> str:
    """The function's source and that of the same-module helpers it names."""
    if func in seen or not isinstance(func, types.FunctionType):
        return ""
    seen.add(func)
    try:
        text = inspect.getsource(func)
    except (OSError, TypeError):
        return ""
    module = inspect.getmodule(func)
    for name in func.__code__.co_names:
        helper = getattr(module, name, None)
        if isinstance(helper, types.FunctionType) and helper.__module__ == func.__module__:
            text += _code_of(helper, seen)
    return text


def _views(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _views(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern.callback


def branching_views() -> set[str]:
    found = set()
    for name, callback in _views(get_resolver().url_patterns):
        view_class = getattr(callback, "view_class", None)
        functions = (
            [f for f in vars(view_class).values() if isinstance(f, types.FunctionType)]
            if view_class else [inspect.unwrap(callback)]
        )
        seen: set = set()
        if any(_READS_HTMX.search(_code_of(f, seen)) for f in functions):
            found.add(name)
    return found


# Pages (GET): asked as a page and as the fragment htmx asks for.
# name -> (who asks, URL, htmx headers of the fragment request)
PAGES = {
    "directory": ("staff", lambda w: reverse("directory"), {}),
    "audit_log": ("auditor", lambda w: reverse("audit_log"), {}),
    "chat:search": ("staff", lambda w: reverse("chat:search") + "?q=rapport", {}),
    "files:mine": ("staff", lambda w: reverse("files:mine"), {"HX-Target": "file-results"}),
    "files:shared": ("staff", lambda w: reverse("files:shared"), {"HX-Target": "file-results"}),
    "files:directorate": ("staff", lambda w: reverse("files:directorate"),
                          {"HX-Target": "file-results"}),
    "files:directorate_of": ("staff", lambda w: reverse("files:directorate_of",
                                                        args=[w["directorate"].pk]),
                             {"HX-Target": "file-results"}),
    "announcements:feed": ("staff", lambda w: reverse("announcements:feed"),
                           {"HX-Target": "ann-results"}),
    "announcements:archive": ("staff", lambda w: reverse("announcements:archive"),
                              {"HX-Target": "ann-results"}),
    "announcements:stats": ("officer", lambda w: reverse("announcements:stats",
                                                         args=[w["announcement"].pk]), {}),
    "training:catalogue": ("staff", lambda w: reverse("training:catalogue"),
                           {"HX-Target": "course-results"}),
}

# Actions (POST only): their answers are never taken from a cache, and asking
# them with GET is refused, which the test checks.
ACTIONS = {
    "notification_read": lambda w: reverse("notification_read", args=[1]),
    "notification_read_all": lambda w: reverse("notification_read_all"),
    "chat:send": lambda w: reverse("chat:send", args=[1]),
    "chat:mute": lambda w: reverse("chat:mute", args=[1]),
    "announcements:acknowledge": lambda w: reverse("announcements:acknowledge", args=[1]),
    "requests:decide_step": lambda w: reverse("requests:decide_step", args=[1, 1]),
}


@pytest.fixture
def world(db, directorate, user_factory):
    from announcements import services
    from announcements.services import AnnouncementInput

    people = {
        "staff": user_factory(directorate=directorate),
        "auditor": user_factory(directorate=directorate, role=User.Role.AUDITOR),
        "officer": user_factory(directorate=directorate, role="communication_officer"),
    }
    announcement = services.save_announcement(
        people["officer"],
        AnnouncementInput(title_ar="إعلان", title_fr="Annonce", body_ar="<p>نص</p>",
                          body_fr="<p>Texte</p>", directorate_ids=[directorate.pk]),
        services.PUBLISH,
    )
    return {"directorate": directorate, "announcement": announcement, **people}


def _vary(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def test_every_view_that_reads_htmx_is_checked_here():
    assert branching_views() == set(PAGES) | set(ACTIONS)


def test_pages_vary_on_the_htmx_headers_they_answer_to(world, client_for):
    clients = {}
    for name, (who, url_of, headers) in PAGES.items():
        client = clients.setdefault(who, client_for(world[who]))
        url = url_of(world)
        page = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true", **headers})
        assert page.status_code == fragment.status_code == 200, name
        assert b"<html" in page.content and b"<html" not in fragment.content, name
        # Without HX-Request nothing else was read: the page varies on it alone.
        assert "HX-Request" in _vary(page), (name, page.headers)
        assert {"HX-Request", *headers} <= _vary(fragment), (name, fragment.headers)


def test_actions_answer_only_posts(world, client_for):
    client = client_for(world["staff"])
    for name, url_of in ACTIONS.items():
        assert client.get(url_of(world)).status_code == 405, name


def test_pages_that_never_read_htmx_do_not_vary_on_it(world, client_for):
    response = client_for(world["staff"]).get(reverse("home"))
    assert response.status_code == 200
    assert "HX-Request" not in _vary(response)


def test_the_unavailable_page_varies_on_htmx():
    from collab import faults

    request = RequestFactory().get("/", headers={"HX-Request": "true"})
    response = faults.unavailable_page(request)
    assert response.status_code == 503
    assert "HX-Request" in _vary(response)
    assert "collab:unavailable" in response["HX-Trigger"]
