"""How the press space's dossiers plug into the engine (requests.registry):
their families (labels, routing facts, summary, what completing one does, the
committee's minutes before a committee decision, the officers' pane) and the
listener that tells the company (live, and by e-mail in its language)."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests import registry

from . import dossiers, notices
from .models_dossiers import (
    COMMITTEE_NUMBER,
    DIRECT_SUPPORT,
    FILMING_PERMIT,
    PRESS_CARD,
    TRAIN_CARD,
)

LABELS = {
    PRESS_CARD: gettext_lazy("Professional press card"),
    TRAIN_CARD: gettext_lazy("Train card"),
    COMMITTEE_NUMBER: gettext_lazy("Joint committee number"),
    DIRECT_SUPPORT: gettext_lazy("Direct public support"),
    FILMING_PERMIT: gettext_lazy("Filming permit"),
}


def facts(request) -> dict:
    """What routing rules may test (e.g. support above an amount goes to the director)."""
    try:
        family = request.request_type.family
        if family == PRESS_CARD:
            return {"salary": request.press_card.monthly_salary}
        if family == DIRECT_SUPPORT:
            item = request.press_support
            return {"amount": item.requested_amount,
                    "journalists": item.professional_journalists}
        if family == FILMING_PERMIT:
            item = request.filming_permit
            return {"days": (item.end_date - item.start_date).days + 1,
                    "locations": len(item.locations)}
    except ObjectDoesNotExist:
        pass
    return {}


def summary(request) -> str:
    try:
        family = request.request_type.family
        if family == PRESS_CARD:
            item = request.press_card
            return _("%(name)s, %(year)s, %(position)s") % {
                "name": item.journalist.name, "year": item.year, "position": item.position}
        if family == TRAIN_CARD:
            item = request.train_card
            text = _("%(name)s, %(year)s") % {"name": item.journalist.name, "year": item.year}
            if item.waiting_position:
                text += " · " + _("waiting list: %(n)s") % {"n": item.waiting_position}
            return text
        if family == COMMITTEE_NUMBER:
            item = request.committee_number
            return (_("%(title)s (renewal)") if item.renewal else _("%(title)s (first request)")) \
                % {"title": item.publication.title}
        if family == DIRECT_SUPPORT:
            item = request.press_support
            return _("%(year)s: %(amount)s MAD requested") % {
                "year": item.year, "amount": item.requested_amount}
        if family == FILMING_PERMIT:
            item = request.filming_permit
            return _("%(title)s, %(start)s to %(end)s") % {
                "title": item.title, "start": item.start_date.strftime("%d/%m/%Y"),
                "end": item.end_date.strftime("%d/%m/%Y")}
    except ObjectDoesNotExist:
        pass
    return ""


def detail_html(request, http_request) -> str:
    from .dossier_views import officer_pane

    return officer_pane(request, http_request)


def register() -> None:
    hooks = registry.FamilyHooks(
        on_completed=dossiers.on_completed, facts=facts, summary=summary,
        check_decision=dossiers.check_decision, detail_html=detail_html,
        correction_deadline=dossiers.correction_deadline,
    )
    for family, label in LABELS.items():
        registry.register_family(family, hooks, label=label)
    if notices.on_transition not in registry.TRANSITION_LISTENERS:
        registry.TRANSITION_LISTENERS.append(notices.on_transition)
    from . import documents

    documents.register_kinds()
