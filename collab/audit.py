"""The audit log: its only writer, who may read it, and the hooks that feed it.

Every audited place makes one call, ``audit.record(action, ...)``. Where from
(IP address, user agent, path) is taken from the request being served, which
AuditMiddleware keeps at hand, so services can record without being handed
the request. Entries are append-only (collab.models.AuditEntry).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import Http404
from django.urls import reverse

from .models import AuditEntry, User

Action = AuditEntry.Action
log = logging.getLogger(__name__)

_current_request = contextvars.ContextVar("collab_audit_request", default=None)


class Concealed(Http404):
    """A 404 that hides an object the user may not see (it may well exist).

    Answered exactly like a missing object; AuditMiddleware records it as a
    denied access. Raise it only where policy, not absence, refused.
    """


def can_read(user) -> bool:
    """Auditors read the log; nobody, administrators included, can change it."""
    return bool(user and user.is_authenticated and user.is_auditor)


def client_ip(request) -> str | None:
    """The client's address, as the server saw it.

    Behind the production proxy, Daphne and uvicorn run with --proxy-headers
    and put the address nginx forwards into REMOTE_ADDR (docker/nginx.conf
    overwrites X-Forwarded-For with the address it saw, so a client cannot
    choose it). The header itself is never read here: anyone can send one.
    """
    value = (request.META.get("REMOTE_ADDR") or "").strip() if request is not None else ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def describe(obj) -> dict:
    """The object fields of an entry for a model instance (taken before it is deleted)."""
    return {
        "object_type": obj._meta.label_lower,
        "object_id": "" if obj.pk is None else str(obj.pk),
        "object_repr": str(obj)[:200],
    }


def record(
    action: str,
    *,
    request=None,
    actor: User | None = None,
    username: str | None = None,
    obj=None,
    target: dict | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` defaults to the signed-in user of the request,
    ``obj`` (a model instance) or ``target`` (from ``describe``) names the object."""
    request = request if request is not None else _current_request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    fields = dict(target or (describe(obj) if obj is not None else {}))
    if username is None:
        username = actor.get_username() if actor is not None else ""
    meta = request.META if request is not None else {}
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        username=(username or "")[:150],
        ip=client_ip(request),
        user_agent=(meta.get("HTTP_USER_AGENT") or "")[:300],
        path=(getattr(request, "path", "") or "")[:300] if request is not None else "",
        detail=detail or {},
        **fields,
    )


# ---- Sign-in, sign-out, lockout ---------------------------------------------


def _signed_in(sender, request, user, **kwargs):
    # Single sign-on marks its requests (collab/oidc.py); passwords do not.
    method = getattr(request, "sign_in_method", "")
    record(Action.SIGN_IN, request=request, actor=user,
           detail={"method": method} if method else None)


def _signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(Action.SIGN_OUT, request=request, actor=user)


def _sign_in_failed(sender, credentials, request=None, **kwargs):
    # An attempt refused by the lockout, or the one that starts it, is
    # recorded once, as a lockout (below): axes's receiver runs first and
    # marks the request (see connect_signals).
    if getattr(request, "axes_locked_out", False):
        return
    record(
        Action.SIGN_IN_FAILED,
        request=request,
        actor=None,
        username=str(credentials.get("username") or ""),
    )


def _locked_out(sender, request, username, ip_address, **kwargs):
    record(
        Action.LOCKED_OUT, request=request, actor=None, username=str(username or ""),
    )


def connect_signals() -> None:
    """Called from CollabConfig.ready, after axes's own receivers are connected
    (axes is installed before collab): a receiver runs in connection order."""
    from axes.signals import user_locked_out

    user_logged_in.connect(_signed_in, dispatch_uid="collab.audit.signed_in")
    user_logged_out.connect(_signed_out, dispatch_uid="collab.audit.signed_out")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="collab.audit.sign_in_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="collab.audit.locked_out")


# ---- Request context, denied access, admin changes -----------------------------


_ADMIN_ACTIONS = {1: Action.ADMIN_ADD, 2: Action.ADMIN_CHANGE, 3: Action.ADMIN_DELETE}


class AuditMiddleware:
    """Keeps the request at hand for ``record``, and records what no view says:
    a 403 answer (PermissionDenied, CSRF failure, an app's refusal page), a
    Concealed 404, and the admin's changes (one entry per admin log entry,
    including bulk actions, which write their log entries without signals)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            admin_mark = self._admin_mark(request)
            response = self.get_response(request)
            if response.status_code == 403:
                record(Action.DENIED, request=request, detail={"status": 403})
            if admin_mark is not None:
                self._record_admin_changes(request, admin_mark)
            return response
        finally:
            _current_request.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, Concealed):
            record(Action.DENIED, request=request, detail={"status": 404})
        return None

    @staticmethod
    def _admin_mark(request) -> int | None:
        user = getattr(request, "user", None)
        if (
            request.method != "POST"
            or not request.path.startswith(reverse("admin:index"))
            or user is None
            or not user.is_authenticated
            or not user.is_staff
        ):
            return None
        from django.contrib.admin.models import LogEntry

        return LogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    @staticmethod
    def _record_admin_changes(request, after_pk: int) -> None:
        from django.contrib.admin.models import LogEntry

        entries = LogEntry.objects.filter(pk__gt=after_pk, user_id=request.user.pk).select_related(
            "content_type"
        )
        for entry in entries.order_by("pk"):
            content_type = entry.content_type
            record(
                _ADMIN_ACTIONS.get(entry.action_flag, Action.ADMIN_CHANGE),
                request=request,
                target={
                    "object_type": (
                        f"{content_type.app_label}.{content_type.model}" if content_type else ""
                    ),
                    "object_id": (entry.object_id or "")[:64],
                    "object_repr": entry.object_repr[:200],
                },
                detail={"change": entry.change_message} if entry.change_message else {},
            )
