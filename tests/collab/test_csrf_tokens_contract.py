"""Contract of collab/csrf_tokens.py, the one place that reaches Django's
private CSRF helpers: fails on any Django but the pinned one, and gives the
verdict Django's own CsrfViewMiddleware gives on the same requests."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

from collab import csrf_tokens
from tests.pins import installed_version, pinned_version


def test_django_is_the_version_the_adapter_was_checked_against():
    assert pinned_version("Django") == csrf_tokens.DJANGO_VERSION
    assert installed_version("Django") == csrf_tokens.DJANGO_VERSION, (
        "Django changed: check collab/csrf_tokens.py against its private helpers, "
        "then update DJANGO_VERSION and the pin in pyproject.toml"
    )


def _issued():
    """A cookie and a token as Django issues them (the secret, and it masked)."""
    request = HttpRequest()
    masked = get_token(request)
    response = HttpResponse()
    CsrfViewMiddleware(lambda r: response).process_response(request, response)
    return response.cookies[settings.CSRF_COOKIE_NAME].value, masked


def _middleware_accepts(cookie: str, token: str) -> bool:
    request = RequestFactory().post("/", HTTP_X_CSRFTOKEN=token)
    if cookie:
        request.COOKIES[settings.CSRF_COOKIE_NAME] = cookie
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, lambda r: HttpResponse(), (), {}) is None


def _cases():
    cookie, masked = _issued()
    other_cookie, other_masked = _issued()
    return {
        "masked token": (cookie, masked, True),
        "the secret itself": (cookie, cookie, True),
        "a masked cookie (Django before 4.0)": (masked, masked, True),
        "another session's token": (cookie, other_masked, False),
        "another cookie": (other_cookie, masked, False),
        "no token": (cookie, "", False),
        "no cookie": ("", masked, False),
        "wrong length": (cookie, masked[:-1], False),
        "characters outside the alphabet": (cookie, masked[:-1] + "!", False),
        "bad cookie": (cookie[:-1] + "!", masked, False),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_same_verdict_as_django_middleware(case):
    cookie, token, expected = _cases()[case]
    assert csrf_tokens.token_matches_cookie(cookie, token) is expected
    assert _middleware_accepts(cookie, token) is expected
