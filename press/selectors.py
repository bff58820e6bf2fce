"""Reads of the press space."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from .models import Company, CompanyDocument, CompanyMember, Journalist


def vault_documents_for(company: Company, *, kinds=None,
                        valid_on: datetime.date | None = None) -> QuerySet[CompanyDocument]:
    """The documents of ``company``'s vault, newest first within each kind.

    For attaching vault documents to a dossier: ``kinds`` (CompanyDocument.Kind
    values) narrows to some kinds; ``valid_on`` keeps only documents not
    expired on that day (documents without an expiry date always count).
    Each row's ``file`` (files.File, select_related) is what a dossier refers
    to; its bytes are served after the press policy allowed the viewer.
    """
    documents = (CompanyDocument.objects.filter(company=company)
                 .select_related("file", "file__current_version", "uploaded_by"))
    if kinds is not None:
        documents = documents.filter(kind__in=list(kinds))
    if valid_on is not None:
        documents = documents.exclude(expires_on__lt=valid_on)
    return documents.order_by("kind", "-uploaded_at", "-pk")


def fits_requirement(document: CompanyDocument, requirement) -> bool:
    """Whether a vault document may answer a checklist line (requests'
    DocumentRequirement): a type and a size the line accepts."""
    version = document.file.current_version
    if version is None:
        return False
    if requirement.accepted_types and version.content_type not in requirement.accepted_types:
        return False
    return not (requirement.max_bytes and version.size > requirement.max_bytes)


def expiry_state(document: CompanyDocument, today=None, warn_days: int = 30) -> str:
    """"expired", "expiring" (within ``warn_days``), "valid" or "" (no expiry date)."""
    if document.expires_on is None:
        return ""
    today = today or timezone.localdate()
    if document.expires_on < today:
        return "expired"
    if document.expires_on <= today + datetime.timedelta(days=warn_days):
        return "expiring"
    return "valid"


def company_document(company: Company, pk: int) -> CompanyDocument:
    """A document of ``company``'s vault; another company's answers like a missing one."""
    document = (CompanyDocument.objects.select_related("file", "file__current_version")
                .filter(company=company, pk=pk).first())
    if document is None:
        raise Http404
    return document


def journalists_for(company: Company) -> QuerySet[Journalist]:
    return Journalist.objects.filter(company=company).select_related("photo").order_by(
        "-active", "name_latin")


def company_journalist(company: Company, pk: int) -> Journalist:
    journalist = (Journalist.objects.select_related("photo", "photo__current_version")
                  .filter(company=company, pk=pk).first())
    if journalist is None:
        raise Http404
    return journalist


def members_for(company: Company) -> QuerySet[CompanyMember]:
    return (CompanyMember.objects.filter(company=company).select_related("user", "invited_by")
            .order_by("-accepted", "created_at"))


def company_member(company: Company, pk: int) -> CompanyMember:
    member = CompanyMember.objects.select_related("user").filter(company=company, pk=pk).first()
    if member is None:
        raise Http404
    return member


def any_journalist(pk: int) -> Journalist:
    """For the press officers, who see every company's journalists."""
    journalist = Journalist.objects.select_related("photo__current_version").filter(pk=pk).first()
    if journalist is None:
        raise Http404
    return journalist


def any_company_document(pk: int) -> CompanyDocument:
    """For the press officers, who see every company's vault."""
    document = (CompanyDocument.objects.select_related("file__current_version")
                .filter(pk=pk).first())
    if document is None:
        raise Http404
    return document
