"""Members, journalists and the vault, through the press space's pages."""

from __future__ import annotations

import datetime
import io
import re
from urllib.parse import urlsplit

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from collab.models import Notification, User
from files.models import File
from press.models import CompanyDocument, CompanyMember, Journalist
from press.selectors import vault_documents_for
from tests.files.conftest import EICAR, clamd_socket  # noqa: F401
from tests.press.conftest import pdf, png
from tests.smtp import SMTPServer


def test_representative_invites_a_colleague_who_sets_a_password(
        representative, company, client_for, smtp_server, django_capture_on_commit_callbacks):
    client = client_for(representative)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("press:members"), {
            "full_name": "Karim Bennani", "email": "karim@example.ma", "role": "filer"})
    assert response.status_code == 302
    member = CompanyMember.objects.get(user__email="karim@example.ma")
    assert not member.accepted and member.user.is_external
    [message] = smtp_server.messages
    link = re.search(r"https?://\S+", SMTPServer.text_of(message)).group(0)

    invited = Client()
    page = invited.get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    response = invited.post(page.redirect_chain[-1][0], {
        "new_password1": "Karim-Sahafa-2026", "new_password2": "Karim-Sahafa-2026"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.accepted
    assert company.organisation.members.filter(pk=member.user_id).exists()
    signed_in = invited.post(reverse("press:login"), {"username": "karim@example.ma",
                                                      "password": "Karim-Sahafa-2026"})
    assert signed_in.status_code == 302
    # A filer files and follows dossiers; members, journalists and vault are the representative's.
    assert invited.get(reverse("press:members")).status_code == 404
    assert invited.get(reverse("press:company")).status_code == 200


def test_inviting_an_existing_address_is_refused_beside_the_field(representative, client_for):
    response = client_for(representative).post(reverse("press:members"), {
        "full_name": "X", "email": representative.email, "role": "filer"})
    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_journalists_registered_once_with_a_photo_and_edited(
        representative, company, client_for, file_store):
    client = client_for(representative)
    data = {"name_ar": "سعيد العلمي", "name_latin": "Said Alami", "cin": "ab 123456",
            "position": "Rédacteur en chef", "hire_date": "2019-09-01",
            "cnss_number": "1234567", "active": "on"}
    response = client.post(reverse("press:journalist_new"), {**data, "photo_upload": png()})
    assert response.status_code == 302
    journalist = Journalist.objects.get(company=company)
    assert journalist.cin == "AB123456" and journalist.photo is not None
    photo = client.get(reverse("press:journalist_photo", args=[journalist.pk]))
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    # The same CIN twice in one company: refused beside the field.
    again = client.post(reverse("press:journalist_new"), data)
    assert again.status_code == 400 and "cin" in again.context["form"].errors
    # A wrong photo type: refused, nothing changed.
    files_before = File.objects.count()
    bad = client.post(reverse("press:journalist_edit", args=[journalist.pk]),
                      {**data, "position": "Directeur", "photo_upload": pdf("photo.pdf")})
    assert bad.status_code == 400 and "photo_upload" in bad.context["form"].errors
    journalist.refresh_from_db()
    assert journalist.position == "Rédacteur en chef" and File.objects.count() == files_before
    # Edited.
    assert client.post(reverse("press:journalist_edit", args=[journalist.pk]),
                       {**data, "position": "Directeur"}).status_code == 302
    journalist.refresh_from_db()
    assert journalist.position == "Directeur"
    assert "سعيد العلمي" in client.get(reverse("press:journalists")).content.decode()


def test_vault_upload_list_download_and_bad_input(representative, company, client_for,
                                                  file_store):
    client = client_for(representative)
    today = timezone.localdate()
    response = client.post(reverse("press:vault"), {
        "kind": "tax_certificate", "file": pdf("attestation.pdf"),
        "issued_on": today.isoformat(),
        "expires_on": (today + datetime.timedelta(days=10)).isoformat()})
    assert response.status_code == 302
    document = CompanyDocument.objects.get(company=company)
    page = client.get(reverse("press:vault")).content.decode()
    assert "attestation.pdf" in page and "vault-expiring" in page
    download = client.get(reverse("press:vault_download", args=[document.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert list(vault_documents_for(company, kinds=["tax_certificate"])) == [document]
    assert list(vault_documents_for(company, valid_on=today + datetime.timedelta(days=11))) == []

    before = CompanyDocument.objects.count(), File.objects.count()
    wrong_dates = client.post(reverse("press:vault"), {
        "kind": "statutes", "file": pdf(), "issued_on": today.isoformat(),
        "expires_on": (today - datetime.timedelta(days=1)).isoformat()})
    assert wrong_dates.status_code == 400 and "expires_on" in wrong_dates.context["form"].errors
    wrong_type = client.post(reverse("press:vault"), {
        "kind": "statutes", "file": io.BytesIO(b"MZ\x90\x00")})
    assert wrong_type.status_code == 400 and "file" in wrong_type.context["form"].errors
    assert (CompanyDocument.objects.count(), File.objects.count()) == before


def test_expiry_notices_go_once_in_the_company_language(
        representative, company, file_store, smtp_server):
    from press import services

    company.language = "fr"
    company.save()
    today = timezone.localdate()
    soon = services.add_vault_document(company, representative, kind="cnss_attestation",
                                       upload=pdf(), expires_on=today + datetime.timedelta(days=20))
    services.add_vault_document(company, representative, kind="statutes", upload=pdf(),
                                expires_on=today + datetime.timedelta(days=200))
    call_command("press_expiry_notices", stdout=io.StringIO())
    [message] = smtp_server.messages
    assert "expirés" in message["Subject"]
    assert soon.get_kind_display() in SMTPServer.text_of(message) or "CNSS" in \
        SMTPServer.text_of(message)
    assert Notification.objects.filter(recipient=representative,
                                       kind="press.document_expiring").count() == 1
    call_command("press_expiry_notices", stdout=io.StringIO())
    assert len(smtp_server.messages) == 1
    assert User.objects.filter(pk=representative.pk, is_external=True).exists()


def test_an_infected_vault_document_is_refused_beside_the_field(
        representative, client_for, file_store, settings, clamd_socket):  # noqa: F811
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.FILES_SCAN_ENABLED = True
    settings.FILES_SCANNER = "files.scanning.ClamdScanner"
    settings.CLAMD_SOCKET = clamd_socket
    before = CompanyDocument.objects.count(), File.objects.count()
    response = client_for(representative).post(reverse("press:vault"), {
        "kind": "statutes",
        "file": SimpleUploadedFile("virus.pdf", EICAR, content_type="application/pdf")})
    assert response.status_code == 400
    assert "virus.pdf" in response.context["form"].errors["file"][0]
    assert (CompanyDocument.objects.count(), File.objects.count()) == before


def test_details_are_corrected_until_the_company_is_verified(company_factory, member_factory,
                                                              client_for):
    from press.models import Company

    company = company_factory(status=Company.Status.RETURNED)
    client = client_for(member_factory(company=company))
    data = {name: getattr(company, name) for name in (
        "name_ar", "name_latin", "legal_form", "rc_number", "ice", "tax_id", "cnss_number",
        "medium", "address", "city", "region", "legal_representative", "email", "language")}
    bad = client.post(reverse("press:company_edit"), {**data, "ice": "12", "phone": "+2126"})
    assert bad.status_code == 400 and {"ice", "phone"} <= set(bad.context["form"].errors)
    good = client.post(reverse("press:company_edit"), {**data, "name_latin": "Nouveau Nom",
                                                        "phone": "07 01 02 03 04"})
    assert good.status_code == 302
    company.refresh_from_db()
    company.organisation.refresh_from_db()
    assert (company.name_latin, company.phone) == ("Nouveau Nom", "+212701020304")
    assert company.organisation.name_fr == "Nouveau Nom"
    Company.objects.filter(pk=company.pk).update(status=Company.Status.VERIFIED)
    assert client.get(reverse("press:company_edit")).status_code == 404
