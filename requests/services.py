"""Writes of the requests app: one function per use case.

Every write persists first; notifications and the live ``request.updated``
event go out after commit (collab.events.publish uses on_commit).
"""

from __future__ import annotations

import contextlib
import datetime
import types
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from collab import events
from collab.documents import count_days
from collab.later import gettext_later, in_every_language
from collab.services import notify
from files import services as file_services

from . import certificates, documents, leave, lifecycle, policies, registry, routing
from . import timeline as timeline_log
from .lifecycle import WorkflowError
from .models import (
    CertificateRequest,
    Delegation,
    InterServiceRequest,
    LeaveRequest,
    Message,
    MessageRead,
    Request,
    RequestAttachment,
    RequestTransition,
    RequestType,
    SocialServiceRequest,
    Stage,
    SubmittedDocument,
    TimelineEntry,
)

FIELD_LABELS = {
    "reason": gettext_lazy("Reason"),
    "purpose": gettext_lazy("Purpose"),
    "description": gettext_lazy("Description"),
    "amount": gettext_lazy("Amount (MAD)"),
}


def _require(request_type: RequestType, values: dict) -> None:
    for name in request_type.required_fields or []:
        value = values.get(name)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            raise WorkflowError(_("This field is required: %(field)s")
                                % {"field": FIELD_LABELS.get(name, name)})


def _require_attachment(request_type: RequestType, uploads) -> None:
    """The type's checklist: every required document must be given."""
    if request_type.attachment_required and not uploads:
        label = request_type.attachment_label or _("an attachment")
        raise WorkflowError(_("Attach %(what)s.") % {"what": label})
    required = request_type.required_documents()
    if len(required) == 1:
        # The files given at submission answer the checklist's single line:
        # its accepted types and size apply.
        for upload in uploads:
            _check_upload(required[0], upload)


ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def attachment_max_bytes() -> int:
    return int(getattr(settings, "REQUESTS_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES))


def _with_uploads(employee, uploads, write):
    """Store uploads through the files app, then run ``write(pending)`` in one
    transaction; if it fails, the rows are rolled back and the objects this
    created are removed (no orphan, nothing half-written)."""
    try:
        with file_services.attachment_uploads(
            employee, uploads, attached_to="staff_requests", max_size=attachment_max_bytes()
        ) as pending, transaction.atomic():
            return write(pending)
    except file_services.UploadRefused as exc:
        raise WorkflowError(exc.message) from None


def _lines(request_type: RequestType, uploads, documents, issued_on, *, draft: bool) -> list:
    """What the applicant gives, as (checklist line or None, upload, issued on):
    ``documents`` (line id -> upload) answers the checklist line by line;
    ``uploads`` (older callers) all answer the type's single required line."""
    documents = {int(k): v for k, v in (documents or {}).items()}
    issued_on = {int(k): v for k, v in (issued_on or {}).items()}
    if documents or (not uploads and request_type.documents.exists()):
        requirements = _check_checklist(request_type, documents, issued_on, draft=draft)
        return [(requirements[k], upload, issued_on.get(k)) for k, upload in documents.items()]
    if draft:
        if request_type.required_documents():
            for upload in uploads:
                _check_upload(request_type.required_documents()[0], upload)
    else:
        _require_attachment(request_type, uploads)
    required = request_type.required_documents()
    line = required[0] if len(required) == 1 else None
    return [(line, upload, None) for upload in uploads]


def _with_lines(user, lines, write):
    """Store each line's file through the file store (scanned), then run
    ``write(stored)`` in one transaction (stored: (line, pending, issued on));
    a refused file names its line; on any failure nothing is written and no
    stored file is left behind."""
    with contextlib.ExitStack() as stack:
        stored = []
        for line, upload, issued in lines:
            try:
                [pending] = stack.enter_context(file_services.attachment_uploads(
                    user, [upload], attached_to="staff_requests",
                    max_size=(line.max_bytes if line else None) or attachment_max_bytes()))
            except file_services.UploadRefused as exc:
                raise WorkflowError(exc.message, field=f"document-{line.pk}" if line
                                    else "attachments") from None
            stored.append((line, pending, issued))
        with transaction.atomic():
            return write(stored)


def _attach_lines(request: Request, stored) -> None:
    for line, pending, issued in stored:
        attachment = RequestAttachment.objects.create(request=request,
                                                      file=pending.record().file)
        SubmittedDocument.objects.create(request=request, attachment=attachment,
                                         requirement=line, issued_on=issued)


def _attach(request: Request, pending, requirement=None) -> list[RequestAttachment]:
    """Attach the stored uploads; each becomes a submitted document of the
    checklist (of ``requirement``, or of the type's single required line)."""
    if requirement is None:
        required = request.request_type.required_documents()
        requirement = required[0] if len(required) == 1 else None
    attachments = []
    for item in pending:
        attachment = RequestAttachment.objects.create(request=request, file=item.record().file)
        SubmittedDocument.objects.create(request=request, attachment=attachment,
                                         requirement=requirement)
        attachments.append(attachment)
    return attachments


# ---- Submitting ---------------------------------------------------------------


def submit_leave(employee, request_type: RequestType, *, start: datetime.date,
                 end: datetime.date, start_afternoon=False, end_morning=False, reason="",
                 uploads=(), documents=None, issued_on=None, draft=False) -> Request:
    """Ask for leave (``draft``: saved, not submitted; the checklist is complete
    only at submission). ``documents``: checklist line id -> upload."""
    if request_type.family != RequestType.Family.LEAVE:
        raise WorkflowError(_("This is not a leave type."))
    _require(request_type, {"reason": reason})
    lines = _lines(request_type, uploads, documents, issued_on, draft=draft)

    def write(stored):
        # Serialise one employee's submissions so two tabs cannot both pass the
        # checks, and hold the balance so an approval or adjustment running now
        # cannot change it between the check and the new request's row. NO KEY
        # UPDATE: rows that merely reference the employee (an approval's
        # notification to them) must not wait on it, or they deadlock with us
        # waiting on the balance that approval holds.
        get_user_model().objects.select_for_update(no_key=True).get(pk=employee.pk)
        if request_type.deducts_from_balance:
            leave.lock_balances(employee, start, end)
        result = leave.quote(employee, request_type, start, end,
                             start_afternoon=start_afternoon, end_morning=end_morning)
        if result.errors:
            raise WorkflowError(" ".join(result.errors))
        request = lifecycle.start(request_type, employee, comment=reason, draft=draft)
        LeaveRequest.objects.create(
            request=request, start_date=start, end_date=end, start_afternoon=start_afternoon,
            end_morning=end_morning, days=result.days, reason=reason,
        )
        _attach_lines(request, stored)
        if not draft:
            lifecycle.submit(request)
        return request

    return _with_lines(employee, lines, write)


def submit_certificate(employee, request_type: RequestType, *, language: str, purpose="",
                       copies=1, uploads=(), documents=None, issued_on=None,
                       draft=False) -> Request:
    if request_type.family != RequestType.Family.CERTIFICATE:
        raise WorkflowError(_("This is not a certificate type."))
    if language not in CertificateRequest.Language.values:
        raise WorkflowError(_("Choose Arabic or French."))
    if not 1 <= int(copies) <= 5:
        raise WorkflowError(_("Between 1 and 5 copies."))
    _require(request_type, {"purpose": purpose})
    certificates.check_can_be_written(employee, language)
    # A certificate type may have a checklist too (the admin's choice).
    lines = _lines(request_type, uploads, documents, issued_on, draft=draft)

    def write(stored):
        request = lifecycle.start(request_type, employee, comment=purpose, draft=draft)
        CertificateRequest.objects.create(request=request, purpose=purpose, language=language,
                                          copies=int(copies))
        _attach_lines(request, stored)
        if not draft:
            lifecycle.submit(request)
        return request

    return _with_lines(employee, lines, write)


def submit_social(employee, request_type: RequestType, *, service: str, description="",
                  amount: Decimal | None = None, uploads=(), documents=None, issued_on=None,
                  draft=False) -> Request:
    if request_type.family != RequestType.Family.SOCIAL:
        raise WorkflowError(_("This is not a social services type."))
    if service not in SocialServiceRequest.Service.values:
        raise WorkflowError(_("Choose a service."))
    _require(request_type, {"description": description, "amount": amount})
    lines = _lines(request_type, uploads, documents, issued_on, draft=draft)

    def write(stored):
        request = lifecycle.start(request_type, employee, comment=description, draft=draft)
        SocialServiceRequest.objects.create(request=request, service=service,
                                            description=description, amount=amount)
        _attach_lines(request, stored)
        if not draft:
            lifecycle.submit(request)
        return request

    return _with_lines(employee, lines, write)


# ---- Deciding, cancelling --------------------------------------------------------


def decide(request_id: int, user, *, approve: bool, comment: str = "",
           expected_step: int | None = None, extra: dict | None = None) -> Request:
    return lifecycle.decide(request_id, user, approve=approve, comment=comment.strip()[:2000],
                           expected_step=expected_step, extra=extra)


def cancel(request_id: int, user, comment: str = "") -> Request:
    return lifecycle.cancel(request_id, user, comment.strip()[:2000])


def delegate(manager, acting_manager, start: datetime.date, end: datetime.date) -> Delegation:
    if end < start:
        raise WorkflowError(_("The end date is before the start date."))
    if manager.pk == acting_manager.pk:
        raise WorkflowError(_("A manager cannot delegate to themselves."))
    with transaction.atomic():
        delegation = Delegation.objects.create(manager=manager, acting_manager=acting_manager,
                                               start_date=start, end_date=end)
        if start <= timezone.localdate() <= end:
            # Requests already waiting for the manager now wait for the acting
            # manager: the engine assigns them (and logs it), we tell them.
            for request in lifecycle.hand_over_to_acting_manager(manager, acting_manager):
                _notify_deciders(request)
    return delegation


def adjust_balance(employee, year: int, days: Decimal, reason: str, by):
    return leave.adjust_balance(employee, year, days, reason, by)


# ---- Family hooks -----------------------------------------------------------------


def _leave_completed(request, actor, extra):
    if request.request_type.deducts_from_balance:
        leave.deduct(request, actor)


def _leave_can_cancel(request):
    # Leave can be withdrawn until its first day, approved or not.
    return leave.can_cancel_leave(request)


def _leave_cancelled(request, actor, from_stage):
    if from_stage == Stage.COMPLETED and request.request_type.deducts_from_balance:
        leave.restore(request, actor)


def _certificate_completed(request, actor, extra):
    certificates.issue(request, actor, extra)


def _leave_facts(request):
    return {"days": request.leave.days}


def _social_facts(request):
    amount = request.social.amount
    return {} if amount is None else {"amount": amount}


def register_families() -> None:
    registry.register_family("leave", registry.FamilyHooks(
        on_completed=_leave_completed, can_cancel=_leave_can_cancel,
        on_cancelled=_leave_cancelled, facts=_leave_facts,
    ))
    registry.register_family("certificate", registry.FamilyHooks(
        on_completed=_certificate_completed))
    registry.register_family("social", registry.FamilyHooks(facts=_social_facts))
    registry.register_family("interservice", registry.FamilyHooks())
    if leave.on_approved_leave not in registry.ABSENCE_PROVIDERS:
        registry.ABSENCE_PROVIDERS.append(leave.on_approved_leave)
    if on_transition not in registry.TRANSITION_LISTENERS:
        registry.TRANSITION_LISTENERS.append(on_transition)
    registry.register_verifier(certificates.verified_document)
    registry.register_verifier(documents.verified_document)


# ---- Notifications and live updates --------------------------------------------------


def needs_form_to_complete(request: Request) -> bool:
    """Completing a salary certificate needs the salary: no one-click approval."""
    step = routing.current_step(request)
    steps = request.request_type.steps_in_order()
    return (
        step is not None and step == steps[-1]
        and request.request_type.certificate_kind == RequestType.CertificateKind.SALARY
    )


def _notify_deciders(request: Request) -> None:
    people, acting_for = routing.deciders(request)
    link = reverse("requests:detail", args=[request.pk])
    actions = []
    if not needs_form_to_complete(request):
        base = reverse("requests:decide_step", args=[request.pk, request.step_position])
        actions = [
            {"label": gettext_later("Approve"), "url": f"{base}?decision=approve",
             "style": "primary", "comment": True},
            {"label": gettext_later("Reject"), "url": f"{base}?decision=reject",
             "style": "danger", "comment": True},
        ]
    body = in_every_language(lambda: summary(request))
    if acting_for is not None:
        body = gettext_later("As acting manager for %(name)s. %(summary)s",
                             name=in_every_language(lambda: acting_for.display_name),
                             summary=body)
    title = gettext_later("%(type)s requested by %(name)s",
                          type=in_every_language(lambda: request.request_type.name),
                          name=in_every_language(lambda: request.requester.display_name))
    for person in people:
        if person.pk == request.requester_id:
            continue
        notify(person, kind="request.decision_needed", title=title, body=body, link=link,
               actions=actions)


def summary(request: Request) -> str:
    try:
        return _summary(request)
    except ObjectDoesNotExist:
        return ""  # a draft whose family row is not written yet


def _summary(request: Request) -> str:
    family = request.request_type.family
    if family == RequestType.Family.LEAVE:
        item = request.leave
        text = (_("%(start)s to %(end)s: %(duration)s (calendar days).")
                if request.request_type.counts_calendar_days
                else _("%(start)s to %(end)s: %(duration)s (working days)."))
        return text % {"start": date_format(item.start_date, "SHORT_DATE_FORMAT"),
                       "end": date_format(item.end_date, "SHORT_DATE_FORMAT"),
                       "duration": count_days(item.days, translation.get_language())}
    if family == RequestType.Family.CERTIFICATE:
        item = request.certificate
        return _("Language: %(lang)s, copies: %(copies)s. %(purpose)s") % {
            "lang": item.get_language_display(), "copies": item.copies, "purpose": item.purpose}
    if family == RequestType.Family.SOCIAL:
        item = request.social
        return f"{item.get_service_display()}. {item.description}"[:240]
    if family == RequestType.Family.INTERSERVICE:
        item = request.interservice
        return f"{request.applicant_name}: {item.subject}"[:240]
    return registry.hooks_for(request).summary(request)


OUTCOME_ACTIONS = {
    RequestTransition.Action.APPROVED,
    RequestTransition.Action.COMPLETED,
    RequestTransition.Action.REJECTED,
}


def _notify_requester(request: Request, transition: RequestTransition) -> None:
    titles = {
        RequestTransition.Action.APPROVED: gettext_noop(
            "Your request %(ref)s was approved by %(name)s"),
        RequestTransition.Action.COMPLETED: gettext_noop(
            "Your request %(ref)s was completed by %(name)s"),
        RequestTransition.Action.REJECTED: gettext_noop(
            "Your request %(ref)s was rejected by %(name)s"),
    }
    action = transition.action
    if action == RequestTransition.Action.COMPLETED and (
        request.request_type.family == RequestType.Family.LEAVE
    ):
        action = RequestTransition.Action.APPROVED  # leave is approved, not "processed"
    title = gettext_later(titles[action], ref=request.reference,
                          name=in_every_language(lambda: transition.actor.display_name))
    notify(request.requester, kind="request.decided", title=title, body=transition.comment,
           link=reverse("requests:detail", args=[request.pk]))


def render_status(request: Request, viewer) -> str:
    from . import selectors

    return render_to_string("requests/partials/request_status.html", {
        "req": request, "timeline": selectors.timeline(request), "user": viewer,
        "can_cancel": lifecycle.can_cancel(viewer, request),
    })


def render_balance(employee) -> str:
    from . import selectors

    return render_to_string("requests/partials/balance.html",
                            {"balance": selectors.balance_summary(employee)})


def _notify_returned(request: Request, transition: RequestTransition) -> None:
    notify(request.requester, kind="request.returned",
           title=gettext_later("Your request %(ref)s needs a correction before %(date)s",
                               ref=request.reference,
                               date=timezone.localtime(request.correction_deadline).date()),
           body=transition.comment, link=reverse("requests:detail", args=[request.pk]))


def _announce_to_queues(request: Request) -> None:
    people, _acting_for = routing.deciders(request)
    for person in people:
        events.publish(events.REQUEST_QUEUE_CHANGED, to=person.pk, id=request.pk,
                       reference=request.reference, stage=request.stage)


def on_transition(request: Request, transition: RequestTransition) -> None:
    final = {RequestTransition.Action.COMPLETED, RequestTransition.Action.REJECTED}
    if transition.action in final and (
        request.request_type.family != RequestType.Family.CERTIFICATE
    ):
        # Certificates are their own document; every other decision gets a letter.
        documents.issue_decision(request)
    if transition.action in OUTCOME_ACTIONS:
        _notify_requester(request, transition)
    if transition.action == RequestTransition.Action.RETURNED:
        _notify_returned(request, transition)
    if request.is_open and transition.action != RequestTransition.Action.CANCELLED:
        _notify_deciders(request)
        _announce_to_queues(request)
    requester = request.requester
    with translation.override(requester.preferred_language):
        events.publish(
            events.REQUEST_UPDATED, to=requester.pk, id=request.pk, stage=request.stage,
            html=render_status(request, requester), balance_html=render_balance(requester),
        )


# ---- Procedures between directorates -------------------------------------------------


def submit_interservice(employee, request_type: RequestType, *, subject: str,
                        description: str = "", uploads=(), documents=None, issued_on=None,
                        draft=False) -> Request:
    """A directorate asks another one; the employee files for their directorate."""
    if request_type.family != RequestType.Family.INTERSERVICE:
        raise WorkflowError(_("This is not a procedure between directorates."))
    subject = subject.strip()[:200]
    if not subject:
        raise WorkflowError(_("This field is required: %(field)s")
                            % {"field": _("Subject")}, field="subject")
    lines = _lines(request_type, uploads, documents, issued_on, draft=draft)

    def write(stored):
        request = lifecycle.start(request_type, employee, comment=subject, draft=draft)
        InterServiceRequest.objects.create(request=request, subject=subject,
                                           description=description.strip())
        _attach_lines(request, stored)
        if not draft:
            lifecycle.submit(request)
        return request

    return _with_lines(employee, lines, write)


# ---- Drafts ---------------------------------------------------------------------------


def _check_draft(request: Request) -> None:
    """At a draft's submission, what its first submission would have checked:
    every required line given, issued recently enough, and a leave's days
    still within the rules and balance (under the balance's lock)."""
    given = {}
    for document in request.documents.all():
        given.setdefault(document.requirement_id, document)
    for requirement in request.request_type.documents.all():
        document = given.get(requirement.pk)
        if document is None:
            if requirement.required:
                raise WorkflowError(_("Attach %(what)s.") % {"what": requirement.label},
                                    field=f"document-{requirement.pk}")
            continue
        _check_validity(requirement, document.issued_on)
    if request.request_type.family == RequestType.Family.LEAVE:
        item = request.leave
        if request.request_type.deducts_from_balance:
            leave.lock_balance(request.requester, item.start_date.year)
        result = leave.quote(request.requester, request.request_type, item.start_date,
                             item.end_date, start_afternoon=item.start_afternoon,
                             end_morning=item.end_morning, exclude=request.pk)
        if result.errors:
            raise WorkflowError(" ".join(result.errors))


def submit_draft(request_id: int, user) -> Request:
    """The applicant submits their draft, checked as a first submission is."""
    return lifecycle.submit_draft(request_id, user, check=_check_draft)


def add_draft_document(request_id: int, user, requirement_id: int, upload,
                       issued_on: datetime.date | None = None) -> SubmittedDocument:
    """The applicant gives (or replaces) one checklist line's file in their draft."""
    request = policies.visible_or_404(user, request_id)
    if not policies.can_act(user, request, "submit"):
        raise WorkflowError(_("This draft can no longer be changed."))
    requirement = request.request_type.documents.filter(pk=requirement_id).first()
    if requirement is None:
        raise WorkflowError(_("Choose a document of this procedure."), field="documents")
    _check_checklist(request.request_type, {requirement.pk: upload},
                     {requirement.pk: issued_on}, draft=True)

    def write(stored):
        locked = Request.objects.select_for_update(of=("self",)).get(pk=request_id)
        if locked.stage != Stage.DRAFT:
            raise WorkflowError(_("This draft can no longer be changed."))
        replaced = SubmittedDocument.objects.filter(request=locked, requirement=requirement)
        RequestAttachment.objects.filter(document__in=replaced).delete()
        _attach_lines(locked, stored)
        return SubmittedDocument.objects.filter(request=locked,
                                                requirement=requirement).latest("pk")

    return _with_lines(user, [(requirement, upload, issued_on)], write)


# ---- Any family: an application with its checklist -------------------------------------


def _stored_as_upload(file):
    """A file already in the file store, seen as the upload checks see one: its
    detected type and size (it was scanned when it was first stored)."""
    version = file.current_version
    return types.SimpleNamespace(content_type=getattr(version, "content_type", ""),
                                 size=getattr(version, "size", 0), name=file.name)


def _check_checklist(request_type: RequestType, documents: dict, issued_on: dict, *,
                     draft: bool = False, existing: dict | None = None) -> dict:
    """Every required line given, each file of an accepted type and size, issued
    recently enough; errors name the line (field ``document-<id>``). A draft
    (``draft``) may leave lines out; submitting it checks them all. ``existing``
    (requirement id -> stored files.File) satisfies lines without an upload."""
    existing = existing or {}
    requirements = {r.pk: r for r in request_type.documents.all()}
    for requirement_id in [*documents, *existing]:
        if requirement_id not in requirements:
            raise WorkflowError(_("Choose a document of this procedure."), field="documents")
    for requirement in requirements.values():
        name = f"document-{requirement.pk}"
        upload = documents.get(requirement.pk)
        stored = existing.get(requirement.pk) if upload is None else None
        if upload is None and stored is None:
            if requirement.required and not draft:
                raise WorkflowError(_("Attach %(what)s.") % {"what": requirement.label},
                                    field=name)
            continue
        try:
            _check_upload(requirement, upload if stored is None else _stored_as_upload(stored))
        except WorkflowError as exc:
            raise WorkflowError(exc.message, field=name) from None
        if stored is None:
            _refuse_infected(upload, name)
        if not draft:
            _check_validity(requirement, issued_on.get(requirement.pk))
    return requirements


def _check_validity(requirement, day: datetime.date | None) -> None:
    """A line with a validity ("issued less than 3 months ago"): its issue date."""
    if not requirement.validity_days:
        return
    if day is None or day < timezone.localdate() - datetime.timedelta(
            days=requirement.validity_days):
        raise WorkflowError(
            _("%(doc)s must have been issued less than %(days)s days ago.")
            % {"doc": requirement.label, "days": requirement.validity_days},
            field=f"issued-{requirement.pk}")
    if day > timezone.localdate():
        raise WorkflowError(_("The issue date is in the future."),
                            field=f"issued-{requirement.pk}")


def _refuse_infected(upload, field: str) -> None:
    """A checklist's file is scanned before the application exists, so an
    infected one is refused beside its line and nothing is written."""
    if file_services.is_infected(upload):
        raise WorkflowError(_("%(name)s contains malware: it was refused.")
                            % {"name": getattr(upload, "name", "")}, field=field)


def file_application(user, request_type: RequestType, *, documents: dict | None = None,
                     issued_on: dict | None = None, write=None, comment: str = "",
                     applicant_organisation=None, check=None, draft: bool = False,
                     existing: dict | None = None) -> Request:
    """File an application of any family with its checklist of documents
    (``draft``: saved for later; lines may be missing and the issue dates are
    checked when ``submit_draft`` submits it).

    ``documents``: requirement id -> upload; ``issued_on``: requirement id ->
    date (for lines with a validity). The files are checked against their line,
    then stored through the file store (scanned): a refused file names its line
    (WorkflowError.field ``document-<id>``). Then, in one transaction,
    ``check()`` (the family's checks that need locks), the application,
    ``write(request)`` (the family's rows) and the submission: if anything
    fails, nothing is written and no stored file is left behind.
    ``existing``: requirement id -> a files.File already stored (a family's
    vault of documents, checked by the family as the applicant's own): the
    line refers to that same file, no bytes copied; an upload for the same
    line wins.
    """
    documents = {int(k): v for k, v in (documents or {}).items()}
    issued_on = {int(k): v for k, v in (issued_on or {}).items()}
    existing = {int(k): v for k, v in (existing or {}).items() if int(k) not in documents}
    requirements = _check_checklist(request_type, documents, issued_on, draft=draft,
                                    existing=existing)
    order = list(documents)
    with contextlib.ExitStack() as stack:
        stored = []
        for requirement_id in order:
            try:
                stored.append(stack.enter_context(file_services.attachment_uploads(
                    user, [documents[requirement_id]], attached_to="staff_requests",
                    max_size=requirements[requirement_id].max_bytes or attachment_max_bytes(),
                ))[0])
            except file_services.UploadRefused as exc:
                raise WorkflowError(exc.message, field=f"document-{requirement_id}") from None
        with transaction.atomic():
            if check is not None:
                check()
            request = lifecycle.start(request_type, user, comment=comment, draft=draft,
                                      applicant_organisation=applicant_organisation)
            if write is not None:
                write(request)
            for requirement_id, item in zip(order, stored, strict=True):
                attachment = RequestAttachment.objects.create(request=request,
                                                              file=item.record().file)
                SubmittedDocument.objects.create(
                    request=request, attachment=attachment,
                    requirement=requirements[requirement_id],
                    issued_on=issued_on.get(requirement_id))
            for requirement_id, file in existing.items():
                attachment = RequestAttachment.objects.create(request=request, file=file)
                SubmittedDocument.objects.create(
                    request=request, attachment=attachment,
                    requirement=requirements[requirement_id],
                    issued_on=issued_on.get(requirement_id))
            if not draft:
                lifecycle.submit(request, user)
            return request


# ---- The other moves of the lifecycle --------------------------------------------------


def return_for_correction(request_id: int, user, *, items: list[dict], comment: str = "",
                          expected_step: int | None = None) -> Request:
    return lifecycle.return_for_correction(request_id, user, items=items,
                                           comment=comment.strip()[:2000],
                                           expected_step=expected_step)


def _check_upload(requirement, upload) -> None:
    """A document of the checklist: its accepted types and size."""
    accepted = requirement.accepted_types or []
    kind = getattr(upload, "content_type", "") or ""
    if accepted and kind not in accepted:
        raise WorkflowError(_("%(doc)s: this type of file is not accepted.")
                            % {"doc": requirement.label}, field="documents")
    limit = requirement.max_bytes or attachment_max_bytes()
    if upload.size > limit:
        raise WorkflowError(_("%(doc)s: the file is larger than %(size)s.")
                            % {"doc": requirement.label,
                               "size": f"{limit / 1024 / 1024:.1f} MB"}, field="documents")


def resubmit(request_id: int, user, *, comment: str = "", documents: dict | None = None,
             issued_on: dict | None = None, existing: dict | None = None) -> Request:
    """The applicant answers a correction. ``documents``: requirement id -> upload,
    only for the documents the correction named; ``issued_on``: requirement id
    -> date, checked against the document's validity; ``existing``: requirement
    id -> a files.File already stored (as for ``file_application``: the same
    file is attached; an upload for the same line wins)."""
    documents = {int(k): v for k, v in (documents or {}).items()}
    issued_on = {int(k): v for k, v in (issued_on or {}).items()}
    existing = {int(k): v for k, v in (existing or {}).items() if int(k) not in documents}
    request = policies.visible_or_404(user, request_id)
    requirements = {r.pk: r for r in request.request_type.documents.all()}
    given = {**documents, **{k: _stored_as_upload(f) for k, f in existing.items()}}
    for requirement_id, upload in given.items():
        requirement = requirements.get(requirement_id)
        if requirement is None:
            raise WorkflowError(_("Only the documents named in the correction can change."),
                                field="documents")
        _check_upload(requirement, upload)
        if requirement.validity_days:
            day = issued_on.get(requirement_id)
            if day is None or day < timezone.localdate() - datetime.timedelta(
                    days=requirement.validity_days):
                raise WorkflowError(
                    _("%(doc)s must have been issued less than %(days)s days ago.")
                    % {"doc": requirement.label, "days": requirement.validity_days},
                    field="documents")
    order = list(documents)
    uploads = [documents[k] for k in order]

    def write(pending):
        pending = list(pending)

        def store(locked):
            files = [(k, item.record().file) for k, item in zip(order, pending, strict=True)]
            for requirement_id, file in [*files, *existing.items()]:
                attachment = RequestAttachment.objects.create(request=locked, file=file)
                SubmittedDocument.objects.create(
                    request=locked, attachment=attachment,
                    requirement=requirements[requirement_id],
                    issued_on=issued_on.get(requirement_id))

        return lifecycle.resubmit(request_id, user, comment=comment.strip()[:2000],
                                  documents={k: True for k in given}, write=store)

    if not uploads:
        return write([])
    return _with_uploads(user, uploads, write)


def suspend(request_id: int, user, *, comment: str = "",
            expected_step: int | None = None) -> Request:
    return lifecycle.suspend(request_id, user, comment=comment.strip()[:2000],
                             expected_step=expected_step)


def resume(request_id: int, user, *, comment: str = "") -> Request:
    return lifecycle.resume(request_id, user, comment=comment.strip()[:2000])


def forward(request_id: int, user, *, to_position: int, comment: str = "",
            expected_step: int | None = None) -> Request:
    return lifecycle.forward(request_id, user, to_position=to_position,
                             comment=comment.strip()[:2000], expected_step=expected_step)


def assign(request_id: int, user, officer) -> Request:
    """``user`` takes the application, or gives it to ``officer``, a colleague
    deciding the same step (who is told)."""
    request = lifecycle.assign(request_id, user, officer)
    if officer.pk != user.pk:
        notify(officer, kind="request.assigned",
               title=gettext_later("%(name)s assigned you the request %(ref)s",
                                   name=in_every_language(lambda: user.display_name),
                                   ref=request.reference),
               body=in_every_language(lambda: summary(request)),
               link=reverse("requests:detail", args=[request.pk]))
        _announce_to_queues(request)
    return request


@transaction.atomic
def check_document(request_id: int, user, document_id: int, *, accept: bool,
                   reason: str = "") -> SubmittedDocument:
    """The officer accepts or rejects (with a reason) one submitted document."""
    request = Request.objects.select_for_update(of=("self",)).select_related(
        "request_type", "requester", "current_step").filter(pk=request_id).first()
    if request is None or not policies.can_view(user, request):
        raise policies.NotVisible
    if not routing.can_decide(user, request):
        raise lifecycle.NotDecider(_("You are not the person who decides this request."))
    document = SubmittedDocument.objects.filter(pk=document_id, request=request).first()
    if document is None:
        raise policies.NotVisible
    reason = reason.strip()[:500]
    if not accept and not reason:
        raise WorkflowError(_("Say why the document is rejected."), field="reason")
    document.status = (SubmittedDocument.Status.ACCEPTED if accept
                       else SubmittedDocument.Status.REJECTED)
    document.reason = reason
    document.checked_by = user
    document.checked_at = timezone.now()
    document.save(update_fields=["status", "reason", "checked_by", "checked_at"])
    timeline_log.append(request, TimelineEntry.Kind.DOCUMENT, actor=user, payload={
        "document": document.pk, "status": document.status, "reason": reason})
    return document


# ---- Conversation and internal notes ----------------------------------------------------


def _participants(request: Request, *, internal: bool) -> set[int]:
    people = {t.actor_id for t in request.transitions.all() if t.actor_id}
    people |= {p.pk for p in routing.deciders(request)[0]}
    if request.assignee_id:
        people.add(request.assignee_id)
    if not internal:
        people.add(request.requester_id)
    else:
        people.discard(request.requester_id)
    return people


def post_message(request_id: int, user, body: str, *, internal: bool = False,
                 uploads=()) -> Message:
    """A message to the applicant and officers, or an internal note (officers
    only), with attachments (stored through the file store, scanned)."""
    body = body.strip()[:5000]
    if not body and not uploads:
        raise WorkflowError(_("Write a message."), field="body")
    request = Request.objects.filter(pk=request_id).select_related("requester").first()
    if request is None or not policies.can_view(user, request):
        raise policies.NotVisible
    if not policies.can_comment(user, request, internal=internal):
        raise WorkflowError(_("You cannot write here."), field="body")

    def write(pending):
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "request_type", "requester", "current_step").get(pk=request_id)
        if not policies.can_comment(user, request, internal=internal):
            raise WorkflowError(_("You cannot write here."), field="body")
        message = Message.objects.create(request=request, author=user, body=body,
                                         internal=internal)
        for item in pending:
            message.attachments.add(RequestAttachment.objects.create(
                request=request, file=item.record().file))
        timeline_log.append(
            request, TimelineEntry.Kind.NOTE if internal else TimelineEntry.Kind.MESSAGE,
            actor=user, public=not internal, payload={"message": message.pk})
        MessageRead.objects.update_or_create(request=request, user=user,
                                             defaults={"read_until": message.created_at})
        _publish_conversation(request, _participants(request, internal=internal) | {user.pk},
                              internal=internal)
        return message

    try:
        return _with_uploads(user, list(uploads), write)
    except WorkflowError as exc:
        raise WorkflowError(exc.message, field=exc.field or "attachments") from None


def _publish_conversation(request: Request, people: set[int], *,
                          internal: bool = False) -> None:
    """Each person's sockets get the conversation as they may see it (officers
    with the internal notes), in their language, with the other side's read
    receipt. Whoever speaks for the applicant (the requester, the applying
    directorate's director even when they approved a step, an organisation's
    members) gets the applicant's view, and nothing for an internal note."""
    from django.contrib.auth import get_user_model

    from . import selectors

    for person in get_user_model().objects.filter(pk__in=people):
        officer = not policies.is_applicant(person, request)
        if internal and not officer:
            continue
        with translation.override(person.preferred_language):
            events.publish(events.REQUEST_MESSAGE, to=person.pk, id=request.pk,
                           html=render_to_string("requests/partials/conversation.html", {
                               "req": request,
                               "conversation": selectors.conversation(request, officer=officer),
                               "receipt": selectors.read_receipt(request, officer=officer),
                               "officers_read": not officer,
                           }))


def mark_read(request: Request, user) -> None:
    """``user`` has seen the conversation of ``request`` (which they may see);
    if that is news to the other side (a message of theirs was unread), their
    open pages show the new read receipt live."""
    now = timezone.now()
    before = MessageRead.objects.filter(request=request, user=user).values_list(
        "read_until", flat=True).first()
    MessageRead.objects.update_or_create(request=request, user=user,
                                         defaults={"read_until": now})
    applicant = user.pk == request.requester_id
    unread = Message.objects.filter(request=request, internal=False).exclude(author=user)
    if before is not None:
        unread = unread.filter(created_at__gt=before)
    if not unread.exists():
        return
    if applicant:
        others = _participants(request, internal=True)
    else:
        others = {request.requester_id}
    _publish_conversation(request, others)


def _notify_expiry(request: Request) -> None:
    notify(request.requester, kind="request.expires_soon",
           title=gettext_later("Your request %(ref)s expires on %(date)s",
                               ref=request.reference,
                               date=timezone.localtime(request.expires_at).date()),
           link=reverse("requests:detail", args=[request.pk]))


def expire_applications() -> dict:
    """Expire what is past its time; one notice to the applicant before."""
    return lifecycle.expire(notify=_notify_expiry)
