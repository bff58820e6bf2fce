"""Company verification as a procedure of the engine (requests/).

A company files it when it registers (statutes and trade register extract);
a press officer of the press office decides it in the engine's back office:
approving verifies the company, returning it asks the company to fix and
resubmit. The engine writes the application's state; this module only
follows it onto ``Company.status`` through the engine's hooks.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

from requests import registry
from requests.models import Stage

FAMILY = "press_company"
TYPE_CODE = "press-company-verification"
# The auth group whose members decide it (the press office's officers); the
# dossier types of the press space use the same group.
PRESS_OFFICE_GROUP = "press_office"
# The checklist lines' order in the seeded type (position -> vault kind).
STATUTES_POSITION, RC_EXTRACT_POSITION = 1, 2

# The company's status while its verification is at each stage.
_STATUS_BY_STAGE = {
    Stage.COMPLETED: "verified",
    Stage.RETURNED: "returned",
    Stage.REJECTED: "suspended",
}


PDF_OR_IMAGE = ["application/pdf", "image/jpeg", "image/png"]


def seed_type(group_model, request_type_model):
    """The verification's procedure type, its step and its checklist, created
    if missing. Takes the models as arguments: the data migration passes its
    historical ones; ``services.verification_type`` the current ones (a test
    that flushes the database also removes what migrations seeded)."""
    office, _created = group_model.objects.get_or_create(name=PRESS_OFFICE_GROUP)
    request_type, _created = request_type_model.objects.get_or_create(
        code=TYPE_CODE,
        defaults={
            "name_ar": "التحقق من المقاولة الصحفية",
            "name_fr": "Vérification de l'entreprise de presse",
            "name_en": "Press company verification",
            "family": FAMILY,
            "applicant_kind": "organisation",
            "correction_days": 30,
        },
    )
    if not request_type.steps.exists():
        request_type.steps.create(
            position=1, stage="review", decider="unit_officers", group=office,
            actions=["approve", "reject", "return"], norm_days=5,
            name_ar="دراسة ملف المقاولة من طرف مصلحة الصحافة",
            name_fr="Examen de l'entreprise par le service de la presse",
            name_en="Review by the press office",
            applicant_text_ar="تتحقق مصلحة الصحافة من وثائق مقاولتكم.",
            applicant_text_fr="Le service de la presse vérifie les documents de votre entreprise.",
            applicant_text_en="The press office is checking your company's documents.",
        )
    if not request_type.documents.exists():
        for position, (ar, fr, en) in enumerate([
            ("النظام الأساسي", "Statuts", "Statutes"),
            ("مستخرج السجل التجاري", "Extrait du registre de commerce", "Trade register extract"),
        ], start=1):
            request_type.documents.create(
                position=position, label_ar=ar, label_fr=fr, label_en=en,
                accepted_types=PDF_OR_IMAGE, max_bytes=10 * 1024 * 1024, required=True)
    return request_type


def company_for(request):
    from .models import Company

    return Company.objects.filter(organisation_id=request.applicant_organisation_id).first()


def _follow(request, transition) -> None:
    """After every transition of a company verification: the company's status follows."""
    if request.request_type.family != FAMILY:
        return
    company = company_for(request)
    if company is None:
        return
    status = _STATUS_BY_STAGE.get(request.stage, "pending")
    if company.status != status:
        type(company).objects.filter(pk=company.pk).update(status=status)
    action = transition.action if transition is not None else ""
    if action in ("returned", "completed", "rejected"):
        transaction.on_commit(lambda: _tell_company(company.pk, action))


def _tell_company(company_pk: int, action: str) -> None:
    """E-mail to the company's representatives, in the company's language."""
    from .services import send_company_mail

    subjects = {
        "returned": gettext_lazy("Your company's verification needs a correction"),
        "completed": gettext_lazy("Your company is verified"),
        "rejected": gettext_lazy("Your company's verification was refused"),
    }
    send_company_mail(company_pk, subjects[action], "press/email/verification_decided.txt",
                      {"action": action})


def _summary(request) -> str:
    company = company_for(request)
    return company.name if company is not None else ""


def _detail_html(request, viewer) -> str:
    from django.template.loader import render_to_string

    company = company_for(request)
    if company is None:
        return ""
    return render_to_string("press/partials/company_facts.html", {"company": company})


def _completed(request, actor, extra) -> None:
    company = company_for(request)
    if company is not None:
        type(company).objects.filter(pk=company.pk).update(status="verified")


def register() -> None:
    registry.register_family(
        FAMILY,
        registry.FamilyHooks(on_completed=_completed, summary=_summary,
                             detail_html=_detail_html),
        label=gettext_lazy("Press company verification"),
    )
    if _follow not in registry.TRANSITION_LISTENERS:
        registry.TRANSITION_LISTENERS.append(_follow)
