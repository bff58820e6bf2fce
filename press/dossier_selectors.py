"""Reads of the press space's dossiers: a company's dashboard, one dossier's
page, the officers' statistics. Lists are paged and cost a fixed number of
queries whatever the number of dossiers."""

from __future__ import annotations

import datetime
import statistics as stats
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from requests import selectors as engine_selectors
from requests import timeline as timeline_log
from requests.models import (
    APPLICANT_STAGES,
    FINAL_STAGES,
    IN_REVIEW_STAGES,
    Request,
    Stage,
    SubmittedDocument,
    WorkflowStep,
)

from . import documents
from .models import Company, Medium, Region
from .models_dossiers import FAMILIES, TrainCardDossier, TrainCardQuota

User = get_user_model()
DASHBOARD_PAGE = 20
# The family rows a dashboard line summarises, loaded with it (no query per row).
FAMILY_RELATED = ("press_card__journalist", "train_card__journalist",
                  "committee_number__publication", "press_support", "filming_permit")
PRESS_GROUPS = ("press_office", "press_committee", "press_director")


def works_on_press(user) -> bool:
    """Press officers, the committee and the director of the press directorate."""
    return bool(user.is_authenticated and not getattr(user, "is_external", False) and (
        user.is_administrator or user.role == User.Role.PRESS_OFFICER
        or user.groups.filter(name__in=PRESS_GROUPS).exists()))


def _dossiers(company: Company):
    # The types' ids first (a handful): the list is then read from the
    # (applicant_organisation, -created_at) index without a join.
    from requests.models import RequestType

    types = list(RequestType.objects.filter(family__in=FAMILIES).values_list("pk", flat=True))
    return Request.objects.filter(applicant_organisation_id=company.organisation_id,
                                  request_type_id__in=types)


def company_dossiers(company: Company, number: int = 1):
    """The company's dossiers, newest first, a page at a time (indexed on
    (applicant_organisation, -created_at))."""
    rows = (_dossiers(company)
            .select_related("request_type", "current_step", *FAMILY_RELATED)
            .order_by("-created_at", "-pk"))
    page = engine_selectors.page_of(rows, number, DASHBOARD_PAGE)
    for item in page.items:
        item.expected = expected_from_company(item)
        item.summary_line = _summary(item)
        item.norm_days = item.current_step.norm_days if item.current_step_id else None
    return page


def company_dossier(company: Company, pk) -> Request | None:
    """One of the company's dossiers; None for a missing id and another company's alike."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (_dossiers(company).select_related(
        "request_type", "current_step", "requester", "applicant_organisation",
        *FAMILY_RELATED).filter(pk=pk).first())


def expected_from_company(item: Request) -> str:
    """What the company has to do now, in one line."""
    if item.stage == Stage.RETURNED:
        return _("Complete the documents asked for before %(date)s.") % {
            "date": timezone.localtime(item.correction_deadline).strftime("%d/%m/%Y")
            if item.correction_deadline else ""}
    if item.stage == Stage.DRAFT:
        return _("Submit the draft.")
    if item.stage == Stage.COMPLETED:
        return _("Download the document issued.")
    if item.stage in FINAL_STAGES:
        return _("Nothing: the dossier is closed.")
    return _("Nothing for now: the ministry is processing it.")


def dossier_context(item: Request) -> dict:
    """What a dossier's page shows the company (public timeline only)."""
    requirements = {r.pk: r for r in item.request_type.documents.all()}
    correction = [dict(entry, requirement=requirements.get(entry.get("document")))
                  for entry in item.correction_items or []]
    steps = list(item.request_type.steps.order_by("position"))
    return {
        "req": item,
        "family": item.request_type.family,
        "entries": list(timeline_log.entries_for(item, officer=False)),
        "conversation": engine_selectors.conversation(item, officer=False),
        "correction": correction,
        "documents": list(SubmittedDocument.objects.filter(request=item).select_related(
            "requirement", "attachment__file__current_version")),
        "issued": documents.issued_for(item),
        "expected": expected_from_company(item),
        "steps": steps,
        "norm_days": sum(step.norm_days for step in steps),
        "can_resubmit": item.stage == Stage.RETURNED and (
            item.correction_deadline is None or item.correction_deadline >= timezone.now()),
        "can_write": item.stage not in FINAL_STAGES,
        "summary": _summary(item),
    }


def _summary(item):
    from requests.registry import hooks_for

    return hooks_for(item).summary(item)


# ---- Statistics ------------------------------------------------------------------------


def statistics(year: int | None = None) -> dict:
    """Dossiers per type, year, region and medium; processing time against the
    norm per type; the train card quota's use. A handful of grouped queries."""
    rows = Request.objects.filter(request_type__family__in=FAMILIES)
    if year:
        rows = rows.filter(created_at__year=year)
    grouped = (rows.values("request_type__name_fr", "request_type__name_ar",
                           "request_type__name_en", "request_type_id", "created_at__year",
                           "applicant_organisation__company__region",
                           "applicant_organisation__company__medium")
               .annotate(total=Count("pk"),
                         open=Count("pk", filter=Q(stage__in=IN_REVIEW_STAGES)),
                         with_company=Count("pk", filter=Q(stage__in=APPLICANT_STAGES)),
                         approved=Count("pk", filter=Q(stage=Stage.COMPLETED)),
                         rejected=Count("pk", filter=Q(stage=Stage.REJECTED)))
               .order_by("request_type_id", "created_at__year"))
    regions, media = dict(Region.choices), dict(Medium.choices)
    from requests.models import RequestType

    names = {t.pk: t.name for t in RequestType.objects.filter(family__in=FAMILIES)}
    breakdown = []
    for row in grouped:
        breakdown.append({
            "type": names.get(row["request_type_id"], ""),
            "year": row["created_at__year"],
            "region": regions.get(row["applicant_organisation__company__region"], ""),
            "medium": media.get(row["applicant_organisation__company__medium"], ""),
            "total": row["total"], "open": row["open"], "with_company": row["with_company"],
            "approved": row["approved"], "rejected": row["rejected"],
        })
    norms = defaultdict(int)
    for type_id, days in WorkflowStep.objects.filter(
            request_type__family__in=FAMILIES).values_list("request_type_id", "norm_days"):
        norms[type_id] += days
    now = timezone.now()
    overdue = dict(rows.filter(stage__in=IN_REVIEW_STAGES, due_at__lt=now)
                   .values_list("request_type_id").annotate(n=Count("pk")))
    times = []
    for type_id, name in names.items():
        # Calendar days against a norm in working days: 7 calendar days per 5 working.
        norm_calendar = datetime.timedelta(days=norms[type_id] * 7 / 5)
        median, decided, within = _durations(rows.filter(request_type_id=type_id,
                                                         decided_at__isnull=False),
                                             norm_calendar)
        times.append({
            "type": name, "norm_days": norms[type_id], "decided": decided,
            "median_days": round(median, 1) if median is not None else None,
            "within_norm": within / decided if decided else None,
            "overdue_now": overdue.get(type_id, 0),
        })
    quota_year = year or timezone.localdate().year
    quotas = []
    for quota in TrainCardQuota.objects.order_by("-year")[:5]:
        cards = TrainCardDossier.objects.filter(year=quota.year)
        quotas.append({
            "year": quota.year, "quota": quota.quota,
            "granted": cards.exclude(card_number="").count(),
            "waiting": cards.filter(waiting_position__isnull=False).count(),
        })
    return {"breakdown": breakdown, "times": times, "quotas": quotas, "year": quota_year}


def _durations(decided, norm) -> tuple:
    """(median days, how many, how many within ``norm``) of decided dossiers:
    computed by PostgreSQL (one query, nothing read row by row), by Python elsewhere."""
    from django.db import connection
    from django.db.models import Aggregate, F, FloatField

    delay = F("decided_at") - F("created_at")
    if connection.vendor == "postgresql":
        class Median(Aggregate):
            template = ("percentile_cont(0.5) WITHIN GROUP "
                        "(ORDER BY EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)")
            output_field = FloatField()

        row = decided.annotate(delay=delay).aggregate(
            median=Median(delay), count=Count("pk"),
            within=Count("pk", filter=Q(delay__lte=norm)))
        return row["median"], row["count"], row["within"]
    values = sorted((done - created) for created, done in
                    decided.values_list("created_at", "decided_at"))
    if not values:
        return None, 0, 0
    days = [v.total_seconds() / 86400 for v in values]
    return stats.median(days), len(days), sum(1 for v in values if v <= norm)


def statistics_rows(tables: dict) -> tuple[list, list]:
    """The breakdown as one table for CSV and XLSX."""
    header = [_("Type"), _("Year"), _("Region"), _("Medium"), _("Dossiers"),
              _("In review"), _("With the company"), _("Approved"), _("Rejected")]
    rows = [[r["type"], r["year"], r["region"], r["medium"], r["total"], r["open"],
             r["with_company"], r["approved"], r["rejected"]] for r in tables["breakdown"]]
    return header, rows
