"""Writes of the press space's dossiers: filing each family, the committee's
minutes, and what happens when the engine completes a dossier (numbers, the
documents issued, the train card waiting list).

Filing goes through the engine (requests.services.file_application: the
checklist, the file store, lifecycle.start/submit); deciding, returning,
resubmitting and the conversation are the engine's own services. Nothing here
writes an application's stage.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from requests import services as engine
from requests.lifecycle import WorkflowError
from requests.models import FINAL_STAGES, RequestType, Stage

from .models import Company, Journalist, Publication, Region
from .models_dossiers import (
    COMMITTEE_NUMBER,
    DIRECT_SUPPORT,
    FILMING_PERMIT,
    PRESS_CARD,
    TRAIN_CARD,
    CommitteeMinutes,
    CommitteeNumberDossier,
    FilmingPermitDossier,
    PressCampaign,
    PressCardDossier,
    SalaryFloor,
    SupportDossier,
    SupportEligibilityRule,
    TrainCardDossier,
    TrainCardQuota,
)
from .selectors import vault_documents_for


def _vault_lines(company: Company, vault, issued_on) -> dict:
    """The checklist lines satisfied by documents of the company's vault
    (requirement id -> CompanyDocument id): the same stored file is attached,
    with the vault's issue date. Another company's document is refused like an
    unknown one, an expired one beside its line; nothing is written either way."""
    issued = dict(issued_on or {})
    existing = {}
    today = timezone.localdate()
    for requirement_id, document_id in (vault or {}).items():
        document = (vault_documents_for(company).filter(pk=document_id).first()
                    if str(document_id).isdigit() else None)
        field = f"vault-{requirement_id}"
        if document is None:
            raise WorkflowError(_("Choose a document of your company's vault."), field=field)
        if document.expires_on and document.expires_on < today:
            raise WorkflowError(_("This document expired on %(date)s: upload a current one.")
                                % {"date": _date(document.expires_on)}, field=field)
        existing[requirement_id] = document.file
        if document.issued_on:
            issued[requirement_id] = document.issued_on
    return {"issued_on": issued, "existing": existing}


def resubmit(user, company: Company, request_id: int, *, comment: str = "", documents=None,
             issued_on=None, vault=None):
    """The company answers a correction, a named line answered by an upload or
    by a document of its vault (the same checks as when filing)."""
    return engine.resubmit(request_id, user, comment=comment, documents=documents,
                           **_vault_lines(company, vault, issued_on))


# Dossiers that no longer hold a place (a second one may be filed).
CLOSED_WITHOUT_OUTCOME = {Stage.REJECTED, Stage.CANCELLED, Stage.EXPIRED}


class DuplicateDossier(WorkflowError):
    """The journalist already has a dossier of this kind for the year."""

    def __init__(self, message: str, existing, field: str | None = None):
        super().__init__(message, field)
        self.existing = existing

    @property
    def url(self) -> str:
        return reverse("press:dossier", args=[self.existing.pk])


def request_type(family: str) -> RequestType:
    """The active procedure type of a family; a switched-off service is refused."""
    found = RequestType.objects.filter(family=family, active=True).order_by("pk").first()
    if found is None:
        raise WorkflowError(_("This service is not open."))
    return found


def _verified(company: Company) -> None:
    if not company.is_verified:
        raise WorkflowError(_("Your company must be verified by the ministry before filing."))


def _amount(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", ".").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise WorkflowError(_("Enter an amount."), field=field) from None
    if amount < 0 or amount != amount or amount > Decimal("1e12"):
        raise WorkflowError(_("Enter an amount."), field=field)
    return amount.quantize(Decimal("0.01"))


def _journalist(company: Company, journalist_id) -> Journalist:
    journalist = Journalist.objects.filter(pk=journalist_id, company=company,
                                           active=True).first()
    if journalist is None:
        raise WorkflowError(_("Choose one of your company's journalists."), field="journalist")
    return journalist


def _date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---- Press card -------------------------------------------------------------------------


def campaign_for(day: datetime.date) -> PressCampaign | None:
    """The campaign whose deposit period holds ``day``."""
    return PressCampaign.objects.filter(deposit_opens__lte=day, deposit_closes__gte=day) \
        .order_by("year").first()


def window_refusal(day: datetime.date) -> str:
    """Why no card can be filed on ``day``: the next window's dates, else the last one's."""
    upcoming = PressCampaign.objects.filter(deposit_opens__gt=day).order_by("deposit_opens") \
        .first()
    if upcoming is not None:
        return _("Press card applications for %(year)s open on %(start)s and close on "
                 "%(end)s.") % {"year": upcoming.year, "start": _date(upcoming.deposit_opens),
                                "end": _date(upcoming.deposit_closes)}
    last = PressCampaign.objects.order_by("-deposit_closes").first()
    if last is not None:
        return _("Press card applications for %(year)s were accepted from %(start)s to "
                 "%(end)s.") % {"year": last.year, "start": _date(last.deposit_opens),
                                "end": _date(last.deposit_closes)}
    return _("No press card campaign is open.")


def existing_dossier(model, journalist: Journalist, year: int):
    """The journalist's dossier of this kind for ``year`` that still counts (open or granted)."""
    return (model.objects.filter(journalist=journalist, year=year)
            .exclude(request__stage__in=CLOSED_WITHOUT_OUTCOME)
            .select_related("request").first())


def last_card(journalist: Journalist) -> PressCardDossier | None:
    """The journalist's latest granted card: a renewal is pre-filled from it."""
    return (PressCardDossier.objects.filter(journalist=journalist,
                                            request__stage=Stage.COMPLETED)
            .order_by("-year").first())


def _refuse_duplicate(model, journalist, year, message):
    existing = existing_dossier(model, journalist, year)
    if existing is not None:
        raise DuplicateDossier(message % {"name": journalist.name, "year": year,
                                          "ref": existing.request.reference},
                               existing.request, field="journalist")


def file_press_card(user, company: Company, *, journalist_id, position: str, monthly_salary,
                    documents=None, issued_on=None, vault=None, today: datetime.date | None = None):
    """A press card for one of the company's journalists, in a campaign's deposit period."""
    _verified(company)
    kind = request_type(PRESS_CARD)
    today = today or timezone.localdate()
    campaign = campaign_for(today)
    if campaign is None:
        raise WorkflowError(window_refusal(today))
    journalist = _journalist(company, journalist_id)
    position = (position or "").strip()[:150]
    if not position:
        raise WorkflowError(_("This field is required."), field="position")
    salary = _amount(monthly_salary, "monthly_salary")
    floor = SalaryFloor.objects.filter(campaign=campaign, medium=company.medium).first()
    if floor is not None and salary < floor.monthly_minimum:
        raise WorkflowError(
            _("The monthly salary must be at least %(floor)s MAD for %(medium)s.")
            % {"floor": floor.monthly_minimum, "medium": floor.get_medium_display()},
            field="monthly_salary")
    message = _("%(name)s already has a press card dossier for %(year)s (%(ref)s).")
    # Cheap refusal before storing any file; checked again under the lock.
    _refuse_duplicate(PressCardDossier, journalist, campaign.year, message)

    def check():
        # One filing per journalist at a time: two tabs cannot both pass.
        Journalist.objects.select_for_update().get(pk=journalist.pk)
        _refuse_duplicate(PressCardDossier, journalist, campaign.year, message)

    def write(request):
        PressCardDossier.objects.create(
            request=request, company=company, journalist=journalist, year=campaign.year,
            renewal_of=last_card(journalist), position=position, monthly_salary=salary)

    return engine.file_application(
        user, kind, documents=documents,
        **_vault_lines(company, vault, issued_on), check=check, write=write,
        comment=f"{journalist.name_latin} {campaign.year}",
        applicant_organisation=company.organisation)


# ---- Train card ---------------------------------------------------------------------------


def file_train_card(user, company: Company, *, journalist_id, documents=None, issued_on=None,
                    vault=None, today: datetime.date | None = None):
    _verified(company)
    kind = request_type(TRAIN_CARD)
    year = (today or timezone.localdate()).year
    journalist = _journalist(company, journalist_id)
    message = _("%(name)s already has a train card dossier for %(year)s (%(ref)s).")
    _refuse_duplicate(TrainCardDossier, journalist, year, message)

    def check():
        Journalist.objects.select_for_update().get(pk=journalist.pk)
        _refuse_duplicate(TrainCardDossier, journalist, year, message)

    def write(request):
        TrainCardDossier.objects.create(request=request, company=company, journalist=journalist,
                                        year=year)

    return engine.file_application(
        user, kind, documents=documents,
        **_vault_lines(company, vault, issued_on), check=check, write=write,
        comment=f"{journalist.name_latin} {year}", applicant_organisation=company.organisation)


def quota_use(year: int) -> dict:
    """Cards granted, the quota and the waiting list of ``year``."""
    quota = TrainCardQuota.objects.filter(year=year).values_list("quota", flat=True).first()
    rows = TrainCardDossier.objects.filter(year=year, request__stage=Stage.COMPLETED)
    granted = rows.exclude(card_number="").count()
    waiting = rows.filter(waiting_position__isnull=False).count()
    return {"year": year, "quota": quota, "granted": granted, "waiting": waiting,
            "left": None if quota is None else max(0, quota - granted)}


def _grant_train_card(dossier: TrainCardDossier) -> None:
    """A card within the quota, else a place at the end of the waiting list.
    The quota row is locked so two approvals cannot both take the last card."""
    quota = TrainCardQuota.objects.select_for_update().filter(year=dossier.year).first()
    granted = TrainCardDossier.objects.filter(year=dossier.year).exclude(card_number="").count()
    if quota is None or granted < quota.quota:
        dossier.card_number = f"TC-{dossier.year}-{dossier.request_id:06d}"
        dossier.waiting_position = None
    else:
        last = TrainCardDossier.objects.filter(year=dossier.year).aggregate(
            Max("waiting_position"))["waiting_position__max"] or 0
        dossier.waiting_position = last + 1
    dossier.save(update_fields=["card_number", "waiting_position"])


@transaction.atomic
def promote_waiting_list(year: int) -> list[TrainCardDossier]:
    """When the quota grows, the first on the waiting list get their cards."""
    quota = TrainCardQuota.objects.select_for_update().filter(year=year).first()
    if quota is None:
        return []
    granted = TrainCardDossier.objects.filter(year=year).exclude(card_number="").count()
    promoted = []
    waiting = TrainCardDossier.objects.filter(year=year, waiting_position__isnull=False) \
        .select_related("request").order_by("waiting_position")
    for dossier in waiting[:max(0, quota.quota - granted)]:
        dossier.card_number = f"TC-{dossier.year}-{dossier.request_id:06d}"
        dossier.waiting_position = None
        dossier.save(update_fields=["card_number", "waiting_position"])
        from . import documents

        documents.issue_for(dossier.request)
        promoted.append(dossier)
    return promoted


# ---- Joint committee number ---------------------------------------------------------------


def file_committee_number(user, company: Company, *, publication_id, renewal: bool,
                          previous_number: str = "", documents=None, issued_on=None, vault=None):
    _verified(company)
    kind = request_type(COMMITTEE_NUMBER)
    publication = Publication.objects.filter(pk=publication_id, company=company).first()
    if publication is None:
        raise WorkflowError(_("Choose one of your company's publications."),
                            field="publication")
    previous_number = (previous_number or "").strip()[:24]
    if renewal and not previous_number:
        raise WorkflowError(_("Give the current committee number to renew it."),
                            field="previous_number")
    open_one = CommitteeNumberDossier.objects.filter(publication=publication).exclude(
        request__stage__in=FINAL_STAGES).select_related("request").first()
    if open_one is not None:
        raise DuplicateDossier(
            _("%(title)s already has a dossier in progress (%(ref)s).")
            % {"title": publication.title, "ref": open_one.request.reference},
            open_one.request, field="publication")

    def write(request):
        CommitteeNumberDossier.objects.create(
            request=request, company=company, publication=publication, renewal=renewal,
            previous_number=previous_number if renewal else "")

    return engine.file_application(user, kind, documents=documents,
        **_vault_lines(company, vault, issued_on),
                                   write=write, comment=publication.title,
                                   applicant_organisation=company.organisation)


# ---- Direct public support ----------------------------------------------------------------


def support_refusals(facts: dict) -> list[str]:
    """The messages of the eligibility rules ``facts`` do not meet."""
    return [rule.message for rule in SupportEligibilityRule.objects.filter(active=True)
            if not rule.holds(facts)]


def file_support(user, company: Company, *, professional_journalists, years_of_activity,
                 annual_turnover, requested_amount, documents=None, issued_on=None, vault=None,
                 today: datetime.date | None = None):
    _verified(company)
    kind = request_type(DIRECT_SUPPORT)
    year = (today or timezone.localdate()).year
    try:
        journalists = int(professional_journalists)
        years = int(years_of_activity)
    except (TypeError, ValueError):
        raise WorkflowError(_("Enter a whole number."), field="professional_journalists") \
            from None
    if journalists < 0 or years < 0 or journalists > 100000 or years > 500:
        raise WorkflowError(_("Enter a whole number."), field="professional_journalists")
    turnover = _amount(annual_turnover, "annual_turnover")
    amount = _amount(requested_amount, "requested_amount")
    if amount <= 0:
        raise WorkflowError(_("Enter an amount."), field="requested_amount")
    facts = {"professional_journalists": journalists, "years_of_activity": years,
             "annual_turnover": turnover, "requested_amount": amount}
    refusals = support_refusals(facts)
    if refusals:
        raise WorkflowError(" ".join(refusals))
    existing = SupportDossier.objects.filter(company=company, year=year).exclude(
        request__stage__in=CLOSED_WITHOUT_OUTCOME).select_related("request").first()
    if existing is not None:
        raise DuplicateDossier(
            _("Your company already has a support dossier for %(year)s (%(ref)s).")
            % {"year": year, "ref": existing.request.reference}, existing.request)

    def check():
        Company.objects.select_for_update().get(pk=company.pk)
        if SupportDossier.objects.filter(company=company, year=year).exclude(
                request__stage__in=CLOSED_WITHOUT_OUTCOME).exists():
            raise WorkflowError(_("Your company already has a support dossier for %(year)s.")
                                % {"year": year})

    def write(request):
        SupportDossier.objects.create(request=request, company=company, year=year,
                                      professional_journalists=journalists,
                                      years_of_activity=years, annual_turnover=turnover,
                                      requested_amount=amount)

    return engine.file_application(user, kind, documents=documents,
        **_vault_lines(company, vault, issued_on),
                                   check=check, write=write, comment=f"{year}",
                                   applicant_organisation=company.organisation)


def record_minutes(request_id: int, user, *, held_on: datetime.date, attendee_ids, minutes: str):
    """The committee's attendance and minutes for the step the dossier is at;
    only a member of that committee records them."""
    from requests import policies, routing
    from requests.models import Decider

    minutes = (minutes or "").strip()[:20000]
    with transaction.atomic():
        request = policies.visible_or_404(user, request_id)
        step = routing.current_step(request)
        if step is None or step.decider != Decider.COMMITTEE or \
                request.stage != Stage.COMMITTEE:
            raise WorkflowError(_("This dossier is not before the committee."))
        if not routing.can_decide(user, request):
            raise WorkflowError(_("Only a member of the committee records its minutes."))
        if not minutes:
            raise WorkflowError(_("Write the minutes."), field="minutes")
        if held_on > timezone.localdate():
            raise WorkflowError(_("The sitting cannot be in the future."), field="held_on")
        members = {p.pk: p for p in routing.deciders_of_step(step, request)[0]}
        chosen = set()
        for value in attendee_ids or []:
            try:
                chosen.add(int(value))
            except (TypeError, ValueError):
                continue
        if not chosen or not chosen <= set(members):
            raise WorkflowError(_("Tick the committee members who attended."),
                                field="attendees")
        record = CommitteeMinutes.objects.create(request=request, step=step, held_on=held_on,
                                                 minutes=minutes, recorded_by=user)
        record.attendees.set([members[pk] for pk in chosen])
        from requests import timeline as timeline_log
        from requests.models import TimelineEntry

        timeline_log.append(request, TimelineEntry.Kind.NOTE, actor=user, public=False,
                            payload={"committee_minutes": record.pk,
                                     "attendees": sorted(chosen)})
    return record


# ---- Filming permit ---------------------------------------------------------------------


def file_filming_permit(user, company: Company, *, production_kind: str, title: str,
                        start_date: datetime.date, end_date: datetime.date, locations: list,
                        crew: list, equipment: str, documents=None, issued_on=None, vault=None,
                        today: datetime.date | None = None):
    _verified(company)
    kind = request_type(FILMING_PERMIT)
    today = today or timezone.localdate()
    if production_kind not in FilmingPermitDossier.Kind.values:
        raise WorkflowError(_("Choose a kind of production."), field="production_kind")
    title = (title or "").strip()[:200]
    if not title:
        raise WorkflowError(_("This field is required."), field="title")
    if start_date < today:
        raise WorkflowError(_("Filming cannot start in the past."), field="start_date")
    if end_date < start_date:
        raise WorkflowError(_("The last day comes before the first."), field="end_date")
    cleaned = []
    for item in locations or []:
        region, city = item.get("region", ""), (item.get("city") or "").strip()[:100]
        if not city and not region:
            continue
        if region not in Region.values or not city:
            raise WorkflowError(_("Give the region and the city of every location."),
                                field="locations")
        cleaned.append({"region": region, "city": city,
                        "place": (item.get("place") or "").strip()[:200]})
    if not cleaned:
        raise WorkflowError(_("Give at least one location."), field="locations")
    people = [{"name": (p.get("name") or "").strip()[:150], "role": (p.get("role") or "")
               .strip()[:100]} for p in crew or [] if (p.get("name") or "").strip()]
    if not people:
        raise WorkflowError(_("Name at least one member of the crew."), field="crew")
    equipment = (equipment or "").strip()[:5000]
    if not equipment:
        raise WorkflowError(_("This field is required."), field="equipment")

    def write(request):
        FilmingPermitDossier.objects.create(
            request=request, company=company, production_kind=production_kind, title=title,
            start_date=start_date, end_date=end_date, locations=cleaned, crew=people,
            equipment=equipment)

    return engine.file_application(user, kind, documents=documents,
        **_vault_lines(company, vault, issued_on),
                                   write=write, comment=title,
                                   applicant_organisation=company.organisation)


# ---- When the engine completes a dossier ------------------------------------------------


def on_completed(request, actor, extra) -> None:
    """In the decision's transaction: the number, then the documents issued."""
    family = request.request_type.family
    if family == PRESS_CARD:
        dossier = request.press_card
        dossier.card_number = f"PC-{dossier.year}-{request.pk:06d}"
        dossier.save(update_fields=["card_number"])
    elif family == TRAIN_CARD:
        _grant_train_card(request.train_card)
        if not request.train_card.card_number:
            return  # on the waiting list: its card is issued when promoted
    elif family == COMMITTEE_NUMBER:
        dossier = request.committee_number
        dossier.number = dossier.previous_number or f"CP-{request.pk:06d}"
        dossier.save(update_fields=["number"])
    elif family == DIRECT_SUPPORT:
        dossier = request.press_support
        granted = extra.get("granted_amount") if extra else None
        dossier.granted_amount = (_amount(granted, "granted_amount") if granted not in
                                  (None, "") else dossier.requested_amount)
        dossier.save(update_fields=["granted_amount"])
    elif family == FILMING_PERMIT:
        dossier = request.filming_permit
        dossier.permit_number = f"FP-{dossier.start_date.year}-{request.pk:06d}"
        dossier.save(update_fields=["permit_number"])
    from . import documents

    documents.issue_for(request)


def correction_deadline(request):
    """A press card's missing documents are completed by the end of its
    campaign's completion period (end of that day), when that is later than
    the type's usual delay; other dossiers keep the type's delay."""
    if request.request_type.family != PRESS_CARD:
        return None
    campaign = PressCampaign.objects.filter(year=request.press_card.year).first()
    if campaign is None:
        return None
    end = timezone.make_aware(datetime.datetime.combine(
        campaign.completion_closes, datetime.time(23, 59)))
    usual = timezone.now() + datetime.timedelta(days=request.request_type.correction_days)
    return max(end, usual)


def check_decision(request, step, approve) -> str:
    """A committee step is decided once its minutes are recorded."""
    from requests.models import Decider

    if step.decider == Decider.COMMITTEE and not CommitteeMinutes.objects.filter(
            request=request, step=step).exists():
        return _("Record the committee's attendance and minutes before deciding.")
    return ""
