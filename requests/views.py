import datetime
import re

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collab import services as collab_services
from collab.documents import pdf_response
from collab.middleware import checks_text_itself
from collab.models import Notification
from files.views import serve_version

from . import certificates, documents, leave, lifecycle, registry, routing, selectors, services
from .forms import (
    FORMS,
    AdjustmentForm,
    DelegationForm,
    LeaveForm,
    MessageForm,
    ReturnForm,
)
from .lifecycle import NotDecider, WorkflowError
from .models import Request, RequestAttachment, RequestType

User = get_user_model()


@login_required
def index(request):
    try:
        number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        number = 1
    page = selectors.my_applications(request.user, number)
    return render(request, "requests/index.html", {
        "my_requests": page.items, "page": page, "drafts": selectors.my_drafts(request.user),
        "balance": selectors.balance_summary(request.user),
        "awaiting": selectors.awaiting_decision(request.user),
        "is_hr": selectors.works_in_back_office(request.user),
    })


@login_required
def new(request):
    return render(request, "requests/new.html", {"types": selectors.active_types(request.user)})


def _active_type(code):
    return get_object_or_404(RequestType, code=code, active=True)


@checks_text_itself
@login_required
def create(request, code):
    request_type = _active_type(code)
    form_class = FORMS[request_type.family]
    form = form_class(request.POST or None, request.FILES or None, request_type=request_type)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # "Save as draft": kept for later, submitted from its page; the
        # checklist and the family's rules are checked in full at submission.
        draft = "draft" in request.POST
        given = dict(form.checklist(), draft=draft)
        try:
            if request_type.family == RequestType.Family.LEAVE:
                created = services.submit_leave(
                    request.user, request_type, start=data["start_date"], end=data["end_date"],
                    start_afternoon=data["start_afternoon"], end_morning=data["end_morning"],
                    reason=data["reason"], **given,
                )
            elif request_type.family == RequestType.Family.CERTIFICATE:
                created = services.submit_certificate(
                    request.user, request_type, language=data["language"],
                    purpose=data["purpose"], copies=data["copies"], **given,
                )
            elif request_type.family == RequestType.Family.INTERSERVICE:
                created = services.submit_interservice(
                    request.user, request_type, subject=data["subject"],
                    description=data["description"], **given,
                )
            else:
                created = services.submit_social(
                    request.user, request_type, service=data["service"],
                    description=data["description"], amount=data["amount"], **given,
                )
        except WorkflowError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if draft:
                messages.success(request, _("Your draft %(ref)s was saved. Submit it from its "
                                            "page when it is complete.")
                                 % {"ref": created.reference})
            else:
                messages.success(request, _("Your request %(ref)s was submitted.")
                                 % {"ref": created.reference})
            return redirect("requests:detail", pk=created.pk)
    context = {"form": form, "request_type": request_type}
    if request_type.family == RequestType.Family.LEAVE:
        context["quote"] = _quote(request, request_type, form.data if form.is_bound else {})
        context["balance"] = selectors.balance_summary(request.user)
    return render(request, "requests/create.html", context)


def _quote(request, request_type, data):
    form = LeaveForm(data, request_type=request_type)
    form.is_valid()
    values = getattr(form, "cleaned_data", {})
    return leave.quote(
        request.user, request_type, values.get("start_date"), values.get("end_date"),
        start_afternoon=values.get("start_afternoon", False),
        end_morning=values.get("end_morning", False),
    )


@checks_text_itself
@login_required
def leave_quote(request, code):
    """htmx: live cost in working days and the balance left, as the dates change."""
    request_type = _active_type(code)
    if request_type.family != RequestType.Family.LEAVE:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    return render(request, "requests/partials/leave_quote.html",
                  {"quote": _quote(request, request_type, data), "request_type": request_type})


def _visible_request(request, pk) -> Request:
    # 404 for a request the user may not see, exactly as for a missing one.
    item = selectors.visible_request(request.user, pk)
    if item is None:
        raise Http404
    return item


@login_required
def detail(request, pk):
    item = _visible_request(request, pk)
    services.mark_read(item, request.user)  # the read receipt officers see
    return render(request, "requests/detail.html", {
        "req": item,
        "timeline": selectors.timeline(item),
        "can_cancel": lifecycle.can_cancel(request.user, item),
        "can_decide": routing.can_decide(request.user, item),
        "needs_form": services.needs_form_to_complete(item),
        "attachments": selectors.application_attachments(item),
        "balance": (selectors.balance_summary(request.user)
                    if item.requester_id == request.user.pk else None),
        "engine": selectors.detail_context(request.user, item),
        "decision": item.issued_documents.filter(kind="decision").first(),
        "return_form": ReturnForm(request_type=item.request_type),
        "message_form": MessageForm(),
        "family_pane": registry.hooks_for(item).detail_html(item, request),
    })


def _notification_from_target(request) -> Notification | None:
    target = request.htmx.target if request.htmx else None
    match = re.fullmatch(r"notif-(\d+)", target or "")
    if not match:
        return None
    return Notification.objects.filter(pk=int(match.group(1)), recipient=request.user).first()


@login_required
@require_POST
def decide_step(request, pk, step):
    # Visibility first, before even the input: anyone else learns nothing (not
    # even who decided) and gets the answer a missing id gets.
    visible = selectors.visible_request(request.user, pk) is not None
    decision = request.POST.get("decision") or request.GET.get("decision")
    if visible and decision not in {"approve", "reject"}:
        return HttpResponse(_("Unknown decision."), status=400)
    comment = request.POST.get("comment", "")
    extra = {"salary": request.POST.get("salary", "")}
    notification = _notification_from_target(request)
    status, ok = 200, False
    try:
        if not visible:
            raise Request.DoesNotExist
        item = services.decide(pk, request.user, approve=decision == "approve",
                               comment=comment, expected_step=step, extra=extra)
    except Request.DoesNotExist:
        item, outcome, status = None, _("This request no longer exists."), 404
    except NotDecider as exc:
        item, outcome, status = None, str(exc), 403
    except WorkflowError as exc:  # includes DecisionConflict
        item, outcome = None, exc.message
    else:
        ok = True  # the engine recorded the decision in the audit log
        outcome = _("Approved.") if decision == "approve" else _("Rejected.")
        if item.is_open:
            outcome = _("Approved: the request moves on to the next step.")
    if notification is not None:
        collab_services.mark_notifications_read(request.user, [notification.pk])
        notification.refresh_from_db()
        return render(request, "requests/partials/notification_outcome.html", {
            "notification": notification, "outcome": outcome, "ok": ok,
        }, status=status)
    if status == 403:
        raise PermissionDenied(outcome)
    if status == 404:
        raise Http404
    (messages.success if ok else messages.error)(request, outcome)
    return redirect("requests:detail", pk=pk)


@login_required
@require_POST
def cancel(request, pk):
    item = _visible_request(request, pk)
    if item.requester_id != request.user.pk:
        raise PermissionDenied
    try:
        services.cancel(pk, request.user, request.POST.get("comment", ""))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your request was cancelled."))
    return redirect("requests:detail", pk=pk)


@login_required
def certificate_pdf(request, pk):
    item = _visible_request(request, pk)
    if item.request_type.family != RequestType.Family.CERTIFICATE:
        raise PermissionDenied
    certificate = item.certificate
    if not certificate.issued_at:
        messages.error(request, _("This certificate has not been issued yet."))
        return redirect("requests:detail", pk=pk)
    try:
        pdf = certificates.certificate_pdf(certificate)
    except WorkflowError as exc:  # the profile lacks what the wording needs: named
        messages.error(request, exc.message)
        return redirect("requests:detail", pk=pk)
    return pdf_response(pdf, f"{certificate.reference_number}.pdf")


@login_required
def decision_pdf(request, pk):
    """The decision letter of a decided application, for those who may see it."""
    item = _visible_request(request, pk)
    document = item.issued_documents.filter(kind="decision").first()
    if document is None:
        raise Http404
    try:
        pdf = documents.decision_pdf(document)
    except WorkflowError as exc:  # the profile lacks what the wording needs: named
        messages.error(request, exc.message)
        return redirect("requests:detail", pk=pk)
    return pdf_response(pdf, f"{item.reference}.pdf")


@login_required
def attachment_download(request, pk, attachment_id):
    """Those who may see the request (requester, deciders, HR) fetch its
    attachments through the files app's rules; anyone else gets 404, as for
    an unknown attachment (nothing to probe)."""
    item = _visible_request(request, pk)
    attachment = get_object_or_404(
        RequestAttachment.objects.select_related("file__current_version"),
        pk=attachment_id, request=item,
    )
    if not selectors.may_fetch_attachment(request.user, item, attachment):
        raise Http404  # an internal note's file: as if it did not exist
    return serve_version(request, attachment.version)


@login_required
def team_calendar(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
        month = int(request.GET.get("month", today.month))
        first = datetime.date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    team = list(selectors.team_members(request.user))
    return render(request, "requests/team_calendar.html", {
        "weeks": selectors.team_calendar(request.user, first.year, first.month, team),
        "month": first, "previous": previous, "following": following,
        "team": team,
    })


@checks_text_itself
@login_required
def delegations(request):
    form = DelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.delegate(request.user, form.cleaned_data["acting_manager"],
                              form.cleaned_data["start_date"], form.cleaned_data["end_date"])
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your delegation was saved."))
            return redirect("requests:delegations")
    return render(request, "requests/delegations.html", {
        "form": form,
        "given": request.user.delegations_given.select_related("acting_manager"),
        "received": request.user.delegations_received.select_related("manager"),
    })


@checks_text_itself
@login_required
def balance(request, username):
    # Someone else's balance: 404, as for an unknown username.
    if username != request.user.username and not selectors.is_hr(request.user):
        raise Http404
    person = get_object_or_404(User, username=username)
    year = timezone.localdate().year
    form = None
    if selectors.is_hr(request.user):
        form = AdjustmentForm(request.POST or None, initial={"year": year})
        if request.method == "POST" and form.is_valid():
            try:
                services.adjust_balance(person, form.cleaned_data["year"],
                                        form.cleaned_data["days"], form.cleaned_data["reason"],
                                        request.user)
            except WorkflowError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("The balance was adjusted."))
                return redirect("requests:balance", username=person.username)
    return render(request, "requests/balance.html", {
        "person": person, "balance": selectors.balance_summary(person), "form": form,
    })


def verify(request, code=None):
    """Public (no login): what an issued document states, found by its code.
    One page for every document the ministry issues (certificates, decision
    letters, and the press and training documents through the registry)."""
    code = (code or request.GET.get("code", ""))[:64]
    document = registry.verify(code) if code else None
    return render(request, "requests/verify.html", {
        "code": code, "document": document, "searched": bool(code),
    })


