"""Django's CSRF token check, for endpoints that are not Django views.

The streaming upload endpoint (files/upload_app.py) runs before Django's
middleware, so it checks the ``X-CSRFToken`` header against the CSRF cookie
itself, exactly as ``CsrfViewMiddleware`` does. Django exposes that check
only through private helpers: they are reached here and nowhere else. Django
is pinned exactly in pyproject.toml, and tests/collab/test_csrf_tokens_contract.py
fails on any other version and compares this verdict with the middleware's
on real requests.
"""

from __future__ import annotations

from django.middleware.csrf import (
    CSRF_TOKEN_LENGTH,
    InvalidTokenFormat,
    _check_token_format,
    _does_token_match,
    _unmask_cipher_token,
)

# The version these helpers were written and checked against (pyproject.toml
# pins the same one).
DJANGO_VERSION = "5.2.19"


def token_matches_cookie(cookie: str, token: str) -> bool:
    """Whether ``token`` (the request's header, masked or not) was issued for
    the CSRF cookie ``cookie``. Malformed values do not match."""
    if not cookie or not token:
        return False
    try:
        _check_token_format(cookie)
        _check_token_format(token)
    except InvalidTokenFormat:
        return False
    # Cookies set before Django 4.0 hold a masked secret, as the middleware allows.
    secret = _unmask_cipher_token(cookie) if len(cookie) == CSRF_TOKEN_LENGTH else cookie
    return _does_token_match(token, secret)
