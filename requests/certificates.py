"""Work and salary certificates: issuing (frozen statement) and the PDF.

The PDF comes from the one document builder (collab/documents.py) and a
template per language (requests/documents/certificate.<ar|fr>.html) worded
from data: the staff member's gender chooses the grammar, the job title is the
one in the certificate's language. A profile lacking what the wording needs
is named instead of printing a wrong certificate.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from collab import documents as builder

from .lifecycle import WorkflowError
from .models import CertificateRequest, Request, RequestType

# Kept for callers that name them here; the builder owns them.
new_verification_code = builder.new_code
normalize_code = builder.normalize_code
verify_url = builder.verify_url

TITLES = {
    ("ar", RequestType.CertificateKind.WORK): "شهادة العمل",
    ("ar", RequestType.CertificateKind.SALARY): "شهادة الأجرة",
    ("fr", RequestType.CertificateKind.WORK): "ATTESTATION DE TRAVAIL",
    ("fr", RequestType.CertificateKind.SALARY): "ATTESTATION DE SALAIRE",
}


def missing_data(person, language: str) -> list[str]:
    """What the certificate's wording needs and the staff member's profile lacks."""
    return builder.missing_person_data(person, language)


def missing_message(missing: list[str]) -> str:
    return _("The certificate cannot be written until the profile gives: %(missing)s. "
             "Human resources complete it in the staff member's record.") % {
        "missing": ", ".join(missing)}


def check_can_be_written(person, language: str) -> None:
    """Refuse a request whose certificate could not be worded, naming what is missing."""
    missing = missing_data(person, language)
    if missing:
        raise WorkflowError(missing_message(missing))


# ---- Issuing -----------------------------------------------------------------


def issue(request: Request, actor, extra: dict) -> CertificateRequest:
    """Freeze what the certificate states (called as HR completes the request)."""
    certificate = request.certificate
    kind = request.request_type.certificate_kind
    salary = None
    if kind == RequestType.CertificateKind.SALARY:
        try:
            salary = Decimal(str(extra.get("salary", "")).replace(",", ".").replace(" ", "")
                             .strip())
        except InvalidOperation:
            salary = None
        if salary is None or salary <= 0:
            raise WorkflowError(_("Enter the monthly gross salary to state on the certificate."))
    person = request.requester
    language = certificate.language
    missing = missing_data(person, language)
    if missing:
        raise WorkflowError(missing_message(missing))
    directorate = person.directorate
    directorate_name = ""
    if directorate:
        directorate_name = directorate.name_ar if language == "ar" else directorate.name_fr
    issued = timezone.localtime()
    prefix = "AS" if kind == RequestType.CertificateKind.SALARY else "AT"
    certificate.reference_number = f"{prefix}-{issued:%Y}-{request.pk:06d}"
    code = builder.new_code()
    while CertificateRequest.objects.filter(verification_code=code).exists():
        code = builder.new_code()
    certificate.verification_code = code
    certificate.issued_at = issued
    certificate.statement = {
        "kind": kind,
        "language": language,
        **builder.person_facts(person, language),
        "directorate": directorate_name,
        "salary": f"{salary:.2f}" if salary is not None else "",
        "purpose": certificate.purpose,
        "reference": certificate.reference_number,
        "issued_on": issued.date().isoformat(),
        "copies": certificate.copies,
        "code": code,
        # The officer who issues it signs; a title missing in this language is
        # left out rather than holding the certificate back.
        "signatory": {"name": builder.person_name(actor, language) or actor.display_name,
                      "title": builder.person_job_title(actor, language)},
    }
    certificate.save()
    return certificate


def find_by_code(code: str) -> CertificateRequest | None:
    code = normalize_code(code)
    if not code:
        return None
    return CertificateRequest.objects.filter(verification_code=code).exclude(
        issued_at__isnull=True).first()


def verified_document(code: str):
    """The public verification page's view of a certificate (registry.VERIFIERS):
    what it is, whom it names, its reference and date; not the salary."""
    from .registry import VerifiedDocument

    certificate = find_by_code(code)
    if certificate is None:
        return None
    s = certificate.statement
    language = s.get("language", "fr")
    issued_on = _issued_on(s)
    labels = {"ar": ("المرجع", "تاريخ الإصدار"), "fr": ("Référence", "Date de délivrance")}
    reference_label, date_label = labels.get(language, labels["fr"])
    return VerifiedDocument(
        language=language, title=TITLES.get((language, s.get("kind")), ""), body=[],
        facts=[(reference_label, s.get("reference", "")),
               (date_label, builder.short_date(issued_on))],
        holder_name=s.get("name", ""),
    )


# ---- PDF ----------------------------------------------------------------------


def _issued_on(statement: dict):
    import datetime

    return datetime.date.fromisoformat(statement["issued_on"])


def certificate_pdf(certificate: CertificateRequest) -> bytes:
    if not certificate.issued_at:
        raise WorkflowError(_("This certificate has not been issued yet."))
    s = dict(certificate.statement)
    language = s["language"]
    if not s.get("gender"):
        # Issued before the wording depended on it: today's profile, or a named refusal.
        s["gender"] = certificate.request.requester.gender
        if not s["gender"]:
            raise WorkflowError(missing_message([_("gender")]))
    context = {
        **s,
        "female": s["gender"] == "female",
        "salary_text": builder.format_amount(Decimal(s["salary"]), language)
        if s.get("salary") else "",
        "title": TITLES[(language, s["kind"])],
        "salary_kind": s["kind"] == RequestType.CertificateKind.SALARY,
        "issued_on": _issued_on(s),
        "signatory": s.get("signatory") or {},
    }
    return builder.render_pdf(f"requests/documents/certificate.{language}.html", context,
                              language=language, code=certificate.verification_code)
