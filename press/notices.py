"""Telling a company about its dossiers: live on its pages (the organisation's
socket group, which only the company's own accounts join) and by e-mail in
the company's language, after the transition commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from collab import events
from requests.models import RequestTransition

from .models_dossiers import FAMILIES

# Transitions the company hears about by e-mail.
MAILED = {
    RequestTransition.Action.SUBMITTED, RequestTransition.Action.RETURNED,
    RequestTransition.Action.COMPLETED, RequestTransition.Action.REJECTED,
    RequestTransition.Action.SUSPENDED, RequestTransition.Action.EXPIRED,
}


def _company(request):
    organisation = request.applicant_organisation
    return getattr(organisation, "company", None) if organisation is not None else None


def socket_groups(user) -> list[str]:
    """The organisation groups of an account: its own company's only."""
    ids = user.organisations.values_list("pk", flat=True)
    return [events.group_name(events.Audience.ORGANISATION, pk) for pk in ids]


def recipients(company) -> list[str]:
    """The company's address and its members' who accepted their invitation."""
    addresses = [company.email] if company.email else []
    for email in company.members.filter(accepted=True, user__is_active=True) \
            .values_list("user__email", flat=True):
        if email and email not in addresses:
            addresses.append(email)
    return addresses


def _subject(request, transition) -> str:
    ref = request.reference
    kind = request.request_type.name
    return {
        RequestTransition.Action.SUBMITTED: _("%(kind)s %(ref)s: received"),
        RequestTransition.Action.RETURNED: _("%(kind)s %(ref)s: documents to complete"),
        RequestTransition.Action.COMPLETED: _("%(kind)s %(ref)s: approved"),
        RequestTransition.Action.REJECTED: _("%(kind)s %(ref)s: refused"),
        RequestTransition.Action.SUSPENDED: _("%(kind)s %(ref)s: suspended"),
        RequestTransition.Action.EXPIRED: _("%(kind)s %(ref)s: expired"),
    }[transition.action] % {"kind": kind, "ref": ref}


def mail(request, transition) -> None:
    company = _company(request)
    to = recipients(company)
    if not to:
        return
    with translation.override(company.language):
        subject = _subject(request, transition)
        body = render_to_string("press/dossiers/mail_transition.txt", {
            "req": request, "transition": transition, "company": company,
            "url": getattr(settings, "COLLAB_PUBLIC_URL", "").rstrip("/")
            + reverse("press:dossier", args=[request.pk]),
        })
    transaction.on_commit(lambda: send_mail(subject, body, None, to, fail_silently=True))


def publish(request) -> None:
    """The dossier's live block, rendered once in the company's language."""
    company = _company(request)
    if company is None:
        return
    from .dossier_views import live_block

    with translation.override(company.language):
        html = live_block(request)
    events.publish(events.APPLICATION_UPDATED, to=request.applicant_organisation_id,
                   id=request.pk, stage=request.stage, html=html)


def on_transition(request, transition) -> None:
    if request.request_type.family not in FAMILIES or _company(request) is None:
        return
    if transition.action in MAILED:
        mail(request, transition)
    publish(request)
