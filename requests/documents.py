"""Decision documents: the letter telling the applicant the outcome of their
application, in their language, rendered by the one document builder
(collab/documents.py) with a verification code and a QR code leading to the
one public verification page (``/verify/<code>/``).

The statement is frozen when the document is issued, so the PDF and the
verification page always say the same thing. The text comes from a template
per language: ``requests/documents/decision.<lang>.html``, and for leave
``leave_decision.<lang>.html``, worded from data (the staff member's gender,
the job title in the letter's language, the number of days agreeing with its
noun). A leave letter whose profile lacks what the wording needs is not
printed: the reader is told what is missing.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from collab import documents as builder

from .lifecycle import WorkflowError
from .models import IssuedDocument, Request, RequestType, Stage
from .registry import VerifiedDocument

LANGUAGES = ("ar", "fr", "en")
FACT_LABELS = {
    "ar": ("المرجع", "تاريخ القرار"),
    "fr": ("Référence", "Date de la décision"),
    "en": ("Reference", "Decision date"),
}
TITLES = {
    ("ar", False): "قرار", ("fr", False): "DÉCISION", ("en", False): "DECISION",
    ("ar", True): "قرار رخصة", ("fr", True): "DÉCISION DE CONGÉ", ("en", True): "LEAVE DECISION",
}


def _type_name(request: Request, language: str) -> str:
    kind = request.request_type
    return {"ar": kind.name_ar, "fr": kind.name_fr}.get(language) or kind.name_en or \
        kind.name_fr


def _decider(request: Request):
    last = request.transitions.exclude(actor__isnull=True).order_by("-pk").first()
    return last.actor if last is not None else None


def _is_leave(request: Request) -> bool:
    return request.request_type.family == RequestType.Family.LEAVE and hasattr(request, "leave")


def _leave_facts(request: Request, language: str) -> dict:
    person = request.requester
    leave = request.leave
    return {
        **builder.person_facts(person, language),
        "start": leave.start_date.isoformat(), "end": leave.end_date.isoformat(),
        "days": str(leave.days),
        "missing": [str(m) for m in builder.missing_person_data(person, language)],
    }


def issue_decision(request: Request) -> IssuedDocument | None:
    """Issue the decision letter of a decided application (once)."""
    if request.stage not in (Stage.COMPLETED, Stage.REJECTED):
        return None
    existing = IssuedDocument.objects.filter(request=request, kind="decision").first()
    if existing is not None:
        return existing
    language = request.requester.preferred_language
    language = language if language in LANGUAGES else "fr"
    code = builder.new_code()
    while IssuedDocument.objects.filter(code=code).exists():
        code = builder.new_code()
    decided = timezone.localtime(request.decided_at or timezone.now())
    decider = _decider(request)
    statement = {
        "kind": "decision", "language": language, "code": code,
        "reference": request.reference, "type": _type_name(request, language),
        "applicant": request.applicant_name,
        "approved": request.stage == Stage.COMPLETED,
        "decided_on": decided.date().isoformat(),
        "signatory": {"name": builder.person_name(decider, language) if decider else "",
                      "title": builder.person_job_title(decider, language) if decider else ""},
    }
    if _is_leave(request):
        statement["leave"] = _leave_facts(request, language)
    return IssuedDocument.objects.create(
        code=code, kind="decision", request=request, language=language, statement=statement,
        reference=request.reference, holder_name=request.applicant_name,
    )


def _completed_leave_facts(document: IssuedDocument) -> dict:
    """The leave part of the statement; if the profile lacked data when the
    letter was issued and has it now, the letter is completed from it."""
    leave = document.statement["leave"]
    if leave.get("missing") and document.request is not None:
        fresh = _leave_facts(document.request, document.language)
        if not fresh["missing"]:
            document.statement = {**document.statement, "leave": fresh}
            document.save(update_fields=["statement"])
            return fresh
        raise WorkflowError(_("The decision letter cannot be written until the profile "
                              "gives: %(missing)s. Human resources complete it in the staff "
                              "member's record.") % {"missing": ", ".join(
                                  str(m) for m in builder.missing_person_data(
                                      document.request.requester, document.language))})
    return leave


def decision_pdf(document: IssuedDocument) -> bytes:
    s = document.statement
    language = document.language
    context = {
        **s, "title": TITLES[(language, "leave" in s)],
        "issued_on": datetime.date.fromisoformat(s["decided_on"]),
        "signatory": s.get("signatory") or {},
    }
    template = f"requests/documents/decision.{language}.html"
    if "leave" in s:
        leave = _completed_leave_facts(document)
        context.update({
            "leave": leave, "female": leave["gender"] == "female",
            "start_date": builder.short_date(datetime.date.fromisoformat(leave["start"])),
            "end_date": builder.short_date(datetime.date.fromisoformat(leave["end"])),
            "duration": builder.count_days(leave["days"], language),
        })
        template = f"requests/documents/leave_decision.{language}.html"
    return builder.render_pdf(template, context, language=language, code=document.code)


def verified_document(code: str) -> VerifiedDocument | None:
    """The public verification page's view of a decision letter (registry.VERIFIERS):
    what was decided, on which application, for whom; nothing more."""
    document = IssuedDocument.objects.filter(code=builder.normalize_code(code),
                                             kind="decision").first()
    if document is None:
        return None
    s = document.statement
    language = document.language
    labels = FACT_LABELS[language]
    outcome = {
        ("ar", True): "الطلب مقبول.", ("ar", False): "الطلب مرفوض.",
        ("fr", True): "La demande est acceptée.", ("fr", False): "La demande est refusée.",
        ("en", True): "The application is approved.", ("en", False): "The application is refused.",
    }[(language, bool(s["approved"]))]
    decided_on = datetime.date.fromisoformat(s["decided_on"][:10])
    return VerifiedDocument(
        language=language, title=f"{TITLES[(language, 'leave' in s)]} · {s['type']}",
        body=[outcome], facts=[(labels[0], s["reference"]),
                               (labels[1], builder.short_date(decided_on))],
        holder_name=s.get("applicant", ""),
    )
