"""The documents the press space issues, through the one builder
(collab.documents): the press card (card format: photo, number, year, QR), the
train card attestation, the joint committee number certificate, the direct
support decision letter and the filming permit.

Each is issued once when the engine completes its dossier (``issue_for``, in
the decision's transaction), in the company's language, with a verification
code: /verify/<code>/ shows its validity and the holder's name and photo only
(docs/press.md says why).
"""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from collab import documents as builder
from files import storage
from requests.models import IssuedDocument

from .models_dossiers import (
    COMMITTEE_NUMBER,
    DIRECT_SUPPORT,
    FILMING_PERMIT,
    PRESS_CARD,
    TRAIN_CARD,
)

# Family -> (kind of the issued document, its template, page format).
KINDS = {
    PRESS_CARD: ("press_card", "press/documents/press_card.html", "CR80"),
    TRAIN_CARD: ("train_card", "press/documents/train_card.html", "A4"),
    COMMITTEE_NUMBER: ("committee_number", "press/documents/committee_number.html", "A4"),
    DIRECT_SUPPORT: ("support_decision", "press/documents/support_decision.html", "A4"),
    FILMING_PERMIT: ("filming_permit", "press/documents/filming_permit.html", "A4"),
}
TEMPLATES = {kind: (template, page) for kind, template, page in KINDS.values()}


def register_kinds() -> None:
    builder.register_kind("press_card", _("Professional press card"))
    builder.register_kind("train_card", _("Train card attestation"))
    builder.register_kind("committee_number", _("Joint committee number certificate"))
    builder.register_kind("support_decision", _("Direct public support decision"))
    builder.register_kind("filming_permit", _("Filming permit"))


def _photo_bytes(file) -> bytes | None:
    version = file.current_version if file is not None else None
    if version is None:
        return None
    return b"".join(storage.get_file_store().open(version.blob_key))


def _language(request) -> str:
    company = request.applicant_organisation.company
    return company.language if company.language in ("ar", "fr", "en") else "ar"


def _holder_and_statement(request, language: str) -> tuple[str, dict, object, object]:
    """(holder's name, statement, valid until, photo file) of a completed dossier."""
    family = request.request_type.family
    company = request.applicant_organisation.company
    company_name = company.name_ar if language == "ar" else company.name_latin
    if family == PRESS_CARD:
        item = request.press_card
        journalist = item.journalist
        name = journalist.name_ar if language == "ar" else journalist.name_latin
        return name, {
            "number": item.card_number, "year": item.year, "position": item.position,
            "company": company_name, "medium": company.medium, "cin": journalist.cin,
        }, datetime.date(item.year, 12, 31), journalist.photo
    if family == TRAIN_CARD:
        item = request.train_card
        journalist = item.journalist
        name = journalist.name_ar if language == "ar" else journalist.name_latin
        return name, {"number": item.card_number, "year": item.year, "company": company_name,
                      "cin": journalist.cin}, datetime.date(item.year, 12, 31), journalist.photo
    if family == COMMITTEE_NUMBER:
        item = request.committee_number
        return item.publication.title, {
            "number": item.number, "publication": item.publication.title,
            "company": company_name, "renewal": item.renewal,
        }, None, None
    if family == DIRECT_SUPPORT:
        item = request.press_support
        return company_name, {
            "year": item.year, "company": company_name,
            "requested_amount": str(item.requested_amount),
            "granted_amount": str(item.granted_amount or item.requested_amount),
        }, datetime.date(item.year, 12, 31), None
    item = request.filming_permit
    return company_name, {
        "number": item.permit_number, "title": item.title, "kind": item.production_kind,
        "start_date": item.start_date.isoformat(), "end_date": item.end_date.isoformat(),
        "locations": item.locations, "crew": item.crew, "company": company_name,
    }, item.end_date, None


def issue_for(request) -> IssuedDocument | None:
    """Issue the document of a completed dossier (once)."""
    family = request.request_type.family
    if family not in KINDS:
        return None
    kind = KINDS[family][0]
    existing = IssuedDocument.objects.filter(request=request, kind=kind).first()
    if existing is not None:
        return existing
    language = _language(request)
    with translation.override(language):
        name, statement, valid_until, photo = _holder_and_statement(request, language)
    statement["reference"] = request.reference
    return builder.issue(kind, holder_name=name, language=language, statement=statement,
                         valid_until=valid_until, request=request,
                         photo=_photo_bytes(photo), reference=request.reference)


def issued_for(request) -> IssuedDocument | None:
    family = request.request_type.family
    if family not in KINDS:
        return None
    return IssuedDocument.objects.filter(request=request, kind=KINDS[family][0]).first()


def pdf(document: IssuedDocument) -> bytes:
    template, page = TEMPLATES[document.kind]
    context = dict(document.statement)
    context["valid_until"] = document.valid_until
    return builder.document_pdf(document, template, context, page=page)
