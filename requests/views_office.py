"""Back-office views: queues per unit and step, exports of what a page
shows, statistics; and the officers' and applicants' moves on one application
besides deciding. Thin: parse, call one service (which applies the policies),
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collab import exports
from collab.middleware import checks_text_itself

from . import policies, selectors, services
from .forms import MessageForm, QueueFilterForm, ReturnForm
from .lifecycle import NotDecider, WorkflowError

User = get_user_model()
EXPORT_FORMATS = {"csv", "xlsx"}


def _filters(form: QueueFilterForm, request) -> selectors.QueueFilters:
    if form.is_valid():
        data = form.cleaned_data
        return selectors.QueueFilters(
            type_id=data["type"].pk if data["type"] else None,
            step_id=data["step"].pk if data["step"] else None,
            directorate_id=data["directorate"].pk if data["directorate"] else None,
            stage=data["stage"] or None, overdue=data["overdue"], mine=data["mine"],
            date_from=data["date_from"], date_to=data["date_to"],
        )
    # No filter chosen yet (or a tampered one): what waits for this officer.
    return selectors.QueueFilters(stage="waiting")


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@checks_text_itself
@login_required
def office(request):
    """An officer's queue: their units' applications, a page at a time."""
    if not selectors.works_in_back_office(request.user):
        raise PermissionDenied
    form = QueueFilterForm(request.GET or None, user=request.user)
    export = request.GET.get("format")
    queue = selectors.office_queue(request.user, _filters(form, request),
                                   export=export in EXPORT_FORMATS)
    page = selectors.page_of(queue, _page_number(request))
    if export in EXPORT_FORMATS:
        return (_csv if export == "csv" else _xlsx)(page.items)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(request, "requests/hr_queue.html", {
        "form": form, "queue": page.items, "page": page, "query": query.urlencode(),
        "now": timezone.now(),
    })


def _row(item) -> list:
    return [
        item.reference, item.request_type.name, item.applicant_name,
        item.requester.directorate.name if item.requester.directorate else "",
        item.stage_label(),
        timezone.localtime(item.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(item.due_at).strftime("%Y-%m-%d") if item.due_at else "",
        item.assignee.display_name if item.assignee else "",
        services.summary(item),
    ]


def _header() -> list:
    return [_("Reference"), _("Type"), _("Applicant"), _("Directorate"), _("Stage"),
            _("Submitted at"), _("Due"), _("Assigned to"), _("Details")]


def _csv(items):
    """The rows of the page shown, streamed (collab.exports escapes formulas)."""
    return exports.csv_response("requests.csv", _header(), (_row(item) for item in items))


def _xlsx(items):
    """The rows of the page shown, as a spreadsheet."""
    return exports.xlsx_response(
        "requests.xlsx", _header(), (_row(item) for item in items), title=_("Requests")
    )


@login_required
def statistics(request):
    if not selectors.works_in_back_office(request.user):
        raise PermissionDenied
    return render(request, "requests/statistics.html",
                  {"rows": selectors.statistics(request.user)})


# ---- Moves on one application besides deciding --------------------------------------


def _step(request) -> int | None:
    try:
        return int(request.POST.get("step", ""))
    except ValueError:
        return None


def _done(request, pk, ok_message, call):
    """Run one service; its refusal is shown on the application's page."""
    try:
        call()
    except policies.NotVisible:
        raise Http404 from None
    except NotDecider as exc:
        raise PermissionDenied(str(exc)) from None
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ok_message)
    return redirect("requests:detail", pk=pk)


@login_required
@require_POST
def return_for_correction(request, pk):
    item = policies.visible_or_404(request.user, pk)
    form = ReturnForm(request.POST, request_type=item.request_type)
    if not form.is_valid():
        messages.error(request, _("Say what must be corrected."))
        return redirect("requests:detail", pk=pk)
    return _done(request, pk, _("The request was returned to the applicant."),
                 lambda: services.return_for_correction(
                     pk, request.user, items=form.items(),
                     comment=request.POST.get("comment", ""), expected_step=_step(request)))


@login_required
@require_POST
def resubmit(request, pk):
    policies.visible_or_404(request.user, pk)
    documents, issued = {}, {}
    for key, upload in request.FILES.items():
        if key.startswith("document-"):
            documents[key.removeprefix("document-")] = upload
    for key, value in request.POST.items():
        if key.startswith("issued-") and value:
            try:
                issued[key.removeprefix("issued-")] = timezone.datetime.fromisoformat(
                    value).date()
            except ValueError:
                messages.error(request, _("Enter a valid date."))
                return redirect("requests:detail", pk=pk)
    try:
        documents = {int(k): v for k, v in documents.items()}
        issued = {int(k): v for k, v in issued.items()}
    except ValueError:
        raise Http404 from None
    return _done(request, pk, _("Your correction was sent."),
                 lambda: services.resubmit(pk, request.user,
                                           comment=request.POST.get("comment", ""),
                                           documents=documents, issued_on=issued))


@login_required
@require_POST
def suspend(request, pk):
    policies.visible_or_404(request.user, pk)
    return _done(request, pk, _("The request is suspended."),
                 lambda: services.suspend(pk, request.user,
                                          comment=request.POST.get("comment", ""),
                                          expected_step=_step(request)))


@login_required
@require_POST
def forward(request, pk):
    policies.visible_or_404(request.user, pk)
    try:
        to_position = int(request.POST.get("to_position", ""))
    except ValueError:
        messages.error(request, _("Choose a later step."))
        return redirect("requests:detail", pk=pk)
    return _done(request, pk, _("The request was forwarded."),
                 lambda: services.forward(pk, request.user, to_position=to_position,
                                          comment=request.POST.get("comment", ""),
                                          expected_step=_step(request)))


@login_required
@require_POST
def resume(request, pk):
    policies.visible_or_404(request.user, pk)
    return _done(request, pk, _("The request is back in review."),
                 lambda: services.resume(pk, request.user,
                                         comment=request.POST.get("comment", "")))


@login_required
@require_POST
def take(request, pk):
    policies.visible_or_404(request.user, pk)
    return _done(request, pk, _("The request is assigned to you."),
                 lambda: services.assign(pk, request.user, request.user))


def _day(value: str):
    try:
        return timezone.datetime.fromisoformat(value).date() if value else None
    except ValueError:
        return False


@login_required
@require_POST
def draft(request, pk):
    """The applicant completes their draft's checklist (files per line), then
    submits it if asked (``action=submit``): checked as a first submission."""
    policies.visible_or_404(request.user, pk)
    for key, upload in request.FILES.items():
        if not key.startswith("document-") or not key.removeprefix("document-").isdigit():
            continue
        line = int(key.removeprefix("document-"))
        issued = _day(request.POST.get(f"issued-{line}", ""))
        if issued is False:
            messages.error(request, _("Enter a valid date."))
            return redirect("requests:detail", pk=pk)
        try:
            services.add_draft_document(pk, request.user, line, upload, issued)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("requests:detail", pk=pk)
    if request.POST.get("action") != "submit":
        messages.success(request, _("Your draft was saved."))
        return redirect("requests:detail", pk=pk)
    return _done(request, pk, _("Your request was submitted."),
                 lambda: services.submit_draft(pk, request.user))


@login_required
@require_POST
def assign(request, pk):
    """Give the application to a colleague deciding the same step."""
    policies.visible_or_404(request.user, pk)
    try:
        officer = User.objects.filter(pk=int(request.POST.get("officer", ""))).first()
    except ValueError:
        officer = None
    if officer is None:
        messages.error(request, _("This person does not decide this step."))
        return redirect("requests:detail", pk=pk)
    return _done(request, pk, _("The request is assigned to %(name)s.")
                 % {"name": officer.display_name},
                 lambda: services.assign(pk, request.user, officer))


@login_required
@require_POST
def message(request, pk):
    policies.visible_or_404(request.user, pk)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        messages.error(request, " ".join(errors) or _("Write a message."))
        return redirect("requests:detail", pk=pk)
    return _done(request, pk, _("Your message was sent."),
                 lambda: services.post_message(pk, request.user, form.cleaned_data["body"],
                                               internal=form.cleaned_data["internal"],
                                               uploads=form.cleaned_data["attachments"]))


@login_required
@require_POST
def check_document(request, pk, document_id):
    policies.visible_or_404(request.user, pk)
    accept = request.POST.get("decision") == "accept"
    return _done(request, pk, _("The document check was recorded."),
                 lambda: services.check_document(pk, request.user, document_id,
                                                 accept=accept,
                                                 reason=request.POST.get("reason", "")))
