"""The press space's dossier pages: the company's dashboard, filing, one
dossier's page (live timeline, conversation, corrections), its issued
document; and for the press officers the committee's minutes (a pane of the
engine's back-office page) and the statistics. Thin: parse, check through the
policies, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collab import exports
from collab.documents import pdf_response
from collab.middleware import checks_text_itself
from requests import policies as engine_policies
from requests import routing
from requests import services as engine
from requests.lifecycle import NotDecider, WorkflowError
from requests.models import Decider, RequestType, Stage

from . import documents, dossier_selectors, dossiers, policies
from .dossier_forms import (
    CommitteeNumberForm,
    FilmingPermitForm,
    MinutesForm,
    PressCardForm,
    SupportForm,
    TrainCardForm,
    vault_label,
)
from .models_dossiers import (
    COMMITTEE_NUMBER,
    DIRECT_SUPPORT,
    FAMILIES,
    FILMING_PERMIT,
    PRESS_CARD,
    TRAIN_CARD,
)
from .selectors import fits_requirement, vault_documents_for


def _file_press_card(user, company, form):
    data = form.cleaned_data
    return dossiers.file_press_card(user, company, journalist_id=data["journalist"].pk,
                                    position=data["position"],
                                    monthly_salary=data["monthly_salary"],
                                    documents=form.documents(), issued_on=form.issued_on(),
                                    vault=form.vault())


def _file_train_card(user, company, form):
    return dossiers.file_train_card(user, company,
                                    journalist_id=form.cleaned_data["journalist"].pk,
                                    documents=form.documents(), issued_on=form.issued_on(),
                                    vault=form.vault())


def _file_committee(user, company, form):
    data = form.cleaned_data
    return dossiers.file_committee_number(
        user, company, publication_id=data["publication"].pk, renewal=data["renewal"],
        previous_number=data["previous_number"], documents=form.documents(),
        issued_on=form.issued_on(), vault=form.vault())


def _file_support(user, company, form):
    data = form.cleaned_data
    return dossiers.file_support(
        user, company, professional_journalists=data["professional_journalists"],
        years_of_activity=data["years_of_activity"], annual_turnover=data["annual_turnover"],
        requested_amount=data["requested_amount"], documents=form.documents(),
        issued_on=form.issued_on(), vault=form.vault())


def _file_filming(user, company, form):
    data = form.cleaned_data
    return dossiers.file_filming_permit(
        user, company, production_kind=data["production_kind"], title=data["title"],
        start_date=data["start_date"], end_date=data["end_date"], locations=form.locations(),
        crew=form.crew(), equipment=data["equipment"], documents=form.documents(),
        issued_on=form.issued_on(), vault=form.vault())


FILING = {
    PRESS_CARD: (PressCardForm, _file_press_card),
    TRAIN_CARD: (TrainCardForm, _file_train_card),
    COMMITTEE_NUMBER: (CommitteeNumberForm, _file_committee),
    DIRECT_SUPPORT: (SupportForm, _file_support),
    FILMING_PERMIT: (FilmingPermitForm, _file_filming),
}


def _member_company(request):
    """The signed-in company member's company (404 for anyone else)."""
    return policies.company_of(request.user)


@login_required
def dashboard(request):
    company = _member_company(request)
    page = dossier_selectors.company_dossiers(company, _page_number(request))
    return render(request, "press/dossiers/dashboard.html", {
        "company": company, "page": page, "rows": page.items,
        "now": timezone.now(), "press_member": policies.membership(request.user),
    })


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@login_required
def new(request):
    company = _member_company(request)
    types = RequestType.objects.filter(family__in=FAMILIES, active=True).order_by("pk")
    return render(request, "press/dossiers/new.html", {
        "company": company, "types": types, "press_member": policies.membership(request.user),
        "campaign": dossiers.campaign_for(timezone.localdate()),
        "window": dossiers.window_refusal(timezone.localdate()),
    })


def _initial(company, family, request) -> dict:
    """A renewal is pre-filled from the journalist's last card."""
    if family != PRESS_CARD or "journalist" not in request.GET:
        return {}
    journalist = company.journalists.filter(pk=request.GET.get("journalist", "")
                                            if request.GET.get("journalist", "").isdigit()
                                            else None).first()
    if journalist is None:
        return {}
    initial = {"journalist": journalist.pk, "position": journalist.position}
    last = dossiers.last_card(journalist)
    if last is not None:
        initial.update(position=last.position, monthly_salary=last.monthly_salary)
    return initial


@checks_text_itself
@login_required
def file(request, family):
    company = _member_company(request)
    if family not in FILING:
        raise Http404
    try:
        kind = dossiers.request_type(family)
    except WorkflowError:
        raise Http404 from None
    form_class, service = FILING[family]
    duplicate = None
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, request_type=kind, company=company)
        if form.is_valid():
            try:
                created = service(request.user, company, form)
            except dossiers.DuplicateDossier as exc:
                duplicate = exc
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            except WorkflowError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your dossier %(ref)s was filed.")
                                 % {"ref": created.reference})
                return redirect("press:dossier", pk=created.pk)
    else:
        form = form_class(request_type=kind, company=company,
                          initial=_initial(company, family, request))
    return render(request, "press/dossiers/file.html", {
        "company": company, "kind": kind, "family": family, "form": form,
        "duplicate": duplicate, "press_member": policies.membership(request.user),
    }, status=200)


def _dossier_or_404(request, pk):
    company = _member_company(request)
    item = dossier_selectors.company_dossier(company, pk)
    if item is None:
        raise Http404
    return company, item


def live_block(item, viewer=None) -> str:
    """The part of a dossier's page that the socket refreshes (stage, what is
    expected, timeline, conversation, corrections): rendered once per
    language for every member, so it never depends on the viewer."""
    return render_to_string("press/dossiers/partials/live.html",
                            dossier_selectors.dossier_context(item))


@login_required
def dossier(request, pk):
    company, item = _dossier_or_404(request, pk)
    engine.mark_read(item, request.user)
    context = dossier_selectors.dossier_context(item)
    context.update(company=company, press_member=policies.membership(request.user))
    if context.get("can_resubmit"):
        # A named line may be answered by a valid vault document that fits it.
        vault = list(vault_documents_for(company, valid_on=timezone.localdate()))
        for entry in context["correction"]:
            if entry.get("requirement") is not None:
                entry["vault"] = [(d.pk, vault_label(d)) for d in vault
                                  if fits_requirement(d, entry["requirement"])]
    return render(request, "press/dossiers/dossier.html", context)


@checks_text_itself
@login_required
@require_POST
def message(request, pk):
    _company, item = _dossier_or_404(request, pk)
    try:
        engine.post_message(item.pk, request.user, request.POST.get("body", ""))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your message was sent."))
    return redirect("press:dossier", pk=item.pk)


@checks_text_itself
@login_required
@require_POST
def resubmit(request, pk):
    """The company completes what the officer named: only those documents."""
    company, item = _dossier_or_404(request, pk)
    named = {c["document"] for c in item.correction_items or [] if c.get("document")}
    uploads, issued, vault = {}, {}, {}
    for requirement_id in named:
        upload = request.FILES.get(f"document-{requirement_id}")
        if upload is not None:
            uploads[requirement_id] = upload
        elif request.POST.get(f"vault-{requirement_id}", ""):
            vault[requirement_id] = request.POST[f"vault-{requirement_id}"]
        value = request.POST.get(f"issued-{requirement_id}", "")
        if value:
            try:
                issued[requirement_id] = timezone.datetime.fromisoformat(value).date()
            except ValueError:
                messages.error(request, _("Enter a valid date."))
                return redirect("press:dossier", pk=item.pk)
    try:
        dossiers.resubmit(request.user, company, item.pk,
                          comment=request.POST.get("comment", ""), documents=uploads,
                          issued_on=issued, vault=vault)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your correction was sent."))
    return redirect("press:dossier", pk=item.pk)


@login_required
def document_pdf(request, pk):
    _company, item = _dossier_or_404(request, pk)
    issued = documents.issued_for(item)
    if issued is None:
        raise Http404
    return pdf_response(documents.pdf(issued), f"{issued.kind}-{issued.code}.pdf", inline=True)


# ---- Press officers -----------------------------------------------------------------


def officer_pane(item, http_request) -> str:
    """The engine's application page shows this to officers: the dossier's
    facts, and at a committee step the attendance and minutes form."""
    viewer = http_request.user
    if not engine_policies.is_officer(viewer, item) or engine_policies.is_applicant(viewer, item):
        return ""
    context = dossier_selectors.dossier_context(item)
    step = routing.current_step(item)
    if step is not None and step.decider == Decider.COMMITTEE and item.stage == Stage.COMMITTEE \
            and routing.can_decide(viewer, item):
        context["minutes_form"] = MinutesForm()
        context["committee_members"] = routing.deciders_of_step(step, item)[0]
    return render_to_string("press/dossiers/partials/officer_pane.html", context,
                            request=http_request)


@checks_text_itself
@login_required
@require_POST
def minutes(request, pk):
    form = MinutesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        engine_policies.visible_or_404(request.user, pk)
        return redirect("requests:detail", pk=pk)
    try:
        dossiers.record_minutes(pk, request.user, held_on=form.cleaned_data["held_on"],
                                attendee_ids=request.POST.getlist("attendees"),
                                minutes=form.cleaned_data["minutes"])
    except engine_policies.NotVisible:
        raise Http404 from None
    except NotDecider as exc:
        raise PermissionDenied(str(exc)) from None
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The committee's minutes were recorded."))
    return redirect("requests:detail", pk=pk)


@login_required
def statistics(request):
    if not dossier_selectors.works_on_press(request.user):
        raise PermissionDenied
    year = request.GET.get("year", "")
    year = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    tables = dossier_selectors.statistics(year=year)
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        header, rows = dossier_selectors.statistics_rows(tables)
        if export == "csv":
            return exports.csv_response("press-statistics.csv", header, rows)
        return exports.xlsx_response("press-statistics.xlsx", header, rows,
                                     title=_("Press statistics"))
    return render(request, "press/dossiers/statistics.html", {"tables": tables, "year": year})
