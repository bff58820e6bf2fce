"""Vault documents attached to dossiers: a checklist line satisfied by a
document the company uploaded once, the same stored file, refused when
expired or not the company's own, with nothing written."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from files.models import File
from press import dossiers
from press import services as press_services
from requests.lifecycle import WorkflowError
from requests.models import Request, SubmittedDocument
from tests.press.dossier_fixtures import checklist, pdf_upload

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def _vault(side, *, expires_on, name="attestation.pdf"):
    return press_services.add_vault_document(
        side["company"], side["member"], kind="cnss_attestation", upload=pdf_upload(name),
        issued_on=TODAY - datetime.timedelta(days=3), expires_on=expires_on)


def _line(space):
    """A press card line with a validity that accepts PDF files."""
    kind = space["types"]["press_card"]
    return kind, next(r for r in kind.documents.all()
                      if r.validity_days and (not r.accepted_types
                                              or "application/pdf" in r.accepted_types))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_vault_document_satisfies_a_line_with_the_same_stored_file(space):
    kind, line = _line(space)
    document = _vault(space["a"], expires_on=TODAY + datetime.timedelta(days=200))
    documents, issued = checklist(kind)
    del documents[line.pk], issued[line.pk]
    files_before = File.objects.count()
    request = dossiers.file_press_card(
        space["a"]["member"], space["a"]["company"], journalist_id=space["a"]["journalist"].pk,
        position="Reporter", monthly_salary="8000", documents=documents, issued_on=issued,
        vault={line.pk: document.pk})
    submitted = SubmittedDocument.objects.get(request=request, requirement=line)
    assert submitted.attachment.file_id == document.file_id
    assert submitted.issued_on == document.issued_on
    # Only the uploaded lines added files: the vault's file is not copied.
    assert File.objects.count() == files_before + len(documents)
    # Removing it from the vault leaves the dossier's document in place.
    press_services.delete_vault_document(document)
    submitted.refresh_from_db()
    assert submitted.attachment.file.current_version is not None


def test_expired_or_foreign_vault_document_refused_beside_the_line(space):
    kind, line = _line(space)
    valid = _vault(space["a"], expires_on=None, name="valid.pdf")
    expired = _vault(space["a"], expires_on=TODAY - datetime.timedelta(days=1),
                     name="expired.pdf")
    foreign = _vault(space["b"], expires_on=None, name="foreign.pdf")
    client = _client(space["a"]["member"])
    url = reverse("press:dossier_file", args=["press_card"])
    form = client.get(url).content.decode()
    # The select offers the company's valid document only.
    assert f'name="vault-{line.pk}"' in form and "valid.pdf" in form
    assert "expired.pdf" not in form and "foreign.pdf" not in form
    documents, issued = checklist(kind)
    del documents[line.pk], issued[line.pk]
    data = {"journalist": space["a"]["journalist"].pk, "position": "Reporter",
            "monthly_salary": "8000"}
    data.update({f"issued-{k}": v.isoformat() for k, v in issued.items()})
    requests_before, files_before = Request.objects.count(), File.objects.count()
    # The member reads French: the errors come in French, beside the line.
    for pick, message in ((expired, "Ce document a expiré le"),
                          (foreign, "Choisissez un document du coffre")):
        documents, _issued = checklist(kind)
        del documents[line.pk]
        payload = dict(data, **{f"document-{k}": v for k, v in documents.items()},
                       **{f"vault-{line.pk}": pick.pk})
        page = client.post(url, payload)
        body = page.content.decode()
        assert page.status_code == 200 and message in body
        assert (Request.objects.count(), File.objects.count()) == (requests_before,
                                                                   files_before)
        # The foreign document's name never shows.
        assert "foreign.pdf" not in body
    documents, _issued = checklist(kind)
    del documents[line.pk]
    page = client.post(url, dict(data, **{f"document-{k}": v for k, v in documents.items()},
                                 **{f"vault-{line.pk}": valid.pk}))
    assert page.status_code == 302
    request = Request.objects.get(request_type=kind)
    assert SubmittedDocument.objects.get(request=request,
                                         requirement=line).attachment.file_id == valid.file_id


def test_service_refuses_a_foreign_id_like_an_unknown_one(space):
    kind, line = _line(space)
    foreign = _vault(space["b"], expires_on=None)
    documents, issued = checklist(kind)
    del documents[line.pk], issued[line.pk]
    errors = []
    for pick in (foreign.pk, foreign.pk + 1000):
        with pytest.raises(WorkflowError) as refused:
            dossiers.file_press_card(
                space["a"]["member"], space["a"]["company"],
                journalist_id=space["a"]["journalist"].pk, position="Reporter",
                monthly_salary="8000", documents=documents, issued_on=issued,
                vault={line.pk: pick})
        errors.append((refused.value.field, refused.value.message))
    assert errors[0] == errors[1] and errors[0][0] == f"vault-{line.pk}"
    assert not Request.objects.filter(request_type=kind).exists()


def test_vault_messages_translated_in_arabic_and_french():
    for language in ("ar", "fr"):
        with translation.override(language):
            for text in ("Choose a document of your company's vault.",
                         "This document expired on %(date)s: upload a current one.",
                         "%(doc)s: or a document of your vault"):
                assert translation.gettext(text) != text


def test_a_correction_is_answered_with_a_vault_document(space):
    from requests import services as engine

    kind, line = _line(space)
    documents, issued = checklist(kind)
    request = dossiers.file_press_card(
        space["a"]["member"], space["a"]["company"], journalist_id=space["a"]["journalist"].pk,
        position="Reporter", monthly_salary="8000", documents=documents, issued_on=issued)
    engine.return_for_correction(request.pk, space["officer"], items=[
        {"kind": "document_outdated", "document": line.pk, "text": "Trop ancien"}])
    expired = _vault(space["a"], expires_on=TODAY - datetime.timedelta(days=1),
                     name="expired.pdf")
    valid = _vault(space["a"], expires_on=None, name="renewed.pdf")
    client = _client(space["a"]["member"])
    page = client.get(reverse("press:dossier", args=[request.pk])).content.decode()
    assert f'name="vault-{line.pk}"' in page and "renewed.pdf" in page
    assert "expired.pdf" not in page
    url = reverse("press:dossier_resubmit", args=[request.pk])
    client.post(url, {f"vault-{line.pk}": expired.pk})
    request.refresh_from_db()
    assert request.stage == "returned"
    assert not request.documents.filter(attachment__file=expired.file).exists()
    assert client.post(url, {f"vault-{line.pk}": valid.pk}).status_code == 302
    request.refresh_from_db()
    assert request.stage == "review"
    assert request.documents.filter(requirement=line, attachment__file=valid.file,
                                    issued_on=valid.issued_on).exists()
