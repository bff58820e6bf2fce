"""Decision documents: the letter telling the applicant the outcome of their
application, in their language, rendered to PDF with a verification code and
a QR code leading to the one public verification page (``/verify/<code>/``).

The statement is frozen when the document is issued, so the PDF and the
verification page always say the same thing. The text comes from a template
per language (``requests/documents/decision.<lang>.txt``: first line the
title, then one paragraph per block).
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from .certificates import new_verification_code, normalize_code, render_pdf, verify_url
from .models import IssuedDocument, Request, Stage
from .registry import VerifiedDocument

LANGUAGES = ("ar", "fr", "en")
FACT_LABELS = {
    "ar": ("المرجع", "تاريخ القرار", "رمز التحقق"),
    "fr": ("Référence", "Date de la décision", "Code de vérification"),
    "en": ("Reference", "Decision date", "Verification code"),
}
VERIFY_LINE = {
    "ar": "للتحقق من صحة هذه الوثيقة:",
    "fr": "Vérifier l'authenticité de ce document :",
    "en": "Check that this document is authentic:",
}


def _names(request: Request, language: str) -> tuple[str, str]:
    kind = request.request_type
    type_name = {"ar": kind.name_ar, "fr": kind.name_fr}.get(language) or kind.name_en or \
        kind.name_fr
    applicant = request.applicant_name
    return type_name, applicant


def issue_decision(request: Request) -> IssuedDocument | None:
    """Issue the decision letter of a decided application (once)."""
    if request.stage not in (Stage.COMPLETED, Stage.REJECTED):
        return None
    existing = IssuedDocument.objects.filter(request=request, kind="decision").first()
    if existing is not None:
        return existing
    language = request.requester.preferred_language
    language = language if language in LANGUAGES else "fr"
    type_name, applicant = _names(request, language)
    code = new_verification_code()
    while IssuedDocument.objects.filter(code=code).exists():
        code = new_verification_code()
    decided = timezone.localtime(request.decided_at or timezone.now())
    statement = {
        "kind": "decision", "language": language, "code": code,
        "reference": request.reference, "type": type_name, "applicant": applicant,
        "approved": request.stage == Stage.COMPLETED,
        "decided_on": decided.strftime("%Y-%m-%d"),
    }
    return IssuedDocument.objects.create(code=code, kind="decision", request=request,
                                         language=language, statement=statement)


def lines(statement: dict) -> dict:
    """Title, paragraphs and facts of a decision letter, in its language."""
    language = statement["language"]
    rendered = render_to_string(f"requests/documents/decision.{language}.txt", statement)
    blocks = [block.strip() for block in rendered.strip().split("\n\n") if block.strip()]
    labels = FACT_LABELS[language]
    return {
        "title": blocks[0], "body": blocks[1:],
        "facts": [(labels[0], statement["reference"]), (labels[1], statement["decided_on"]),
                  (labels[2], statement["code"])],
        "verify": VERIFY_LINE[language],
    }


def decision_pdf(document: IssuedDocument) -> bytes:
    return render_pdf(document.statement, verify_url(document.code),
                      text=lines(document.statement))


def verified_document(code: str) -> VerifiedDocument | None:
    """The public verification page's view of a decision letter (registry.VERIFIERS)."""
    document = IssuedDocument.objects.filter(code=normalize_code(code)).first()
    if document is None:
        return None
    text = lines(document.statement)
    return VerifiedDocument(language=document.language, title=text["title"],
                            body=text["body"], facts=text["facts"])

