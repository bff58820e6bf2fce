"""The auditors' pages: the audit log, filtered, and its exports."""

import math

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from . import audit, exports, selectors
from .forms import AuditFilterForm

PAGE_SIZE = 50


def _filtered(request):
    if not audit.can_read(request.user):
        raise audit.Concealed
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        entries = selectors.audit_entries(
            **{name: value or "" for name, value in form.cleaned_data.items()}
        )
    elif form.is_bound:
        entries = selectors.audit_entries().none()
    else:
        entries = selectors.audit_entries()
    return form, entries


@login_required
@require_GET
def audit_log(request):
    form, entries = _filtered(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "collab/partials/audit_results.html" if request.htmx else "collab/audit.html"
    return render(request, template, {"form": form, "page": page})


def _export_rows(entries):
    for entry in entries.iterator(chunk_size=1000):
        yield [
            timezone.localtime(entry.at),
            entry.get_action_display(),
            entry.username,
            entry.actor_id,
            entry.object_type,
            entry.object_id,
            entry.object_repr,
            entry.ip,
            entry.user_agent,
            entry.path,
            _detail_text(entry.detail),
        ]


def _detail_text(detail) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted((detail or {}).items()))


@login_required
@require_GET
def audit_export(request, fmt):
    _form, entries = _filtered(request)
    header = [
        pgettext("audit", "When"), pgettext("audit", "Action"), pgettext("audit", "Username"),
        pgettext("audit", "User id"), pgettext("audit", "Object type"),
        pgettext("audit", "Object id"), pgettext("audit", "Object"),
        pgettext("audit", "IP address"), pgettext("audit", "User agent"),
        pgettext("audit", "Path"), pgettext("audit", "Detail"),
    ]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        return exports.xlsx_response(
            f"audit-{stamp}.xlsx", header, _export_rows(entries),
            title=pgettext("audit", "Audit log"),
        )
    return exports.csv_response(f"audit-{stamp}.csv", header, _export_rows(entries))


def locked_out(request, original_response=None, credentials=None):
    """django-axes's lockout answer (AXES_LOCKOUT_CALLABLE)."""
    minutes = max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    # The press space's sign-in keeps its own shell (press/templates/press/).
    template = ("press/locked_out.html"
                if request.path.startswith(settings.PRESS_HOME_URL)
                else "registration/locked_out.html")
    return render(request, template, context, status=429)
