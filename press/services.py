"""Writes of the press space: registration, e-mail verification, members,
journalists and the vault. Procedures go through the engine (requests/)."""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collab.later import gettext_later, in_every_language
from collab.models import User
from files import services as file_services
from requests import services as request_services
from requests.lifecycle import WorkflowError
from requests.models import Request, RequestType
from requests.models_engine import Organisation

from . import verification
from .models import Company, CompanyDocument, CompanyMember, Journalist, Publication

logger = logging.getLogger(__name__)

EMAIL_SALT = "press.verify-email"
# How long the e-mail verification link works.
EMAIL_LINK_MAX_AGE = datetime.timedelta(days=3)
# Journalists' photos: small images only.
PHOTO_TYPES = {"image/jpeg", "image/png"}
PHOTO_MAX_BYTES = 5 * 1024 * 1024
VAULT_TYPES = {"application/pdf", "image/jpeg", "image/png"}
VAULT_MAX_BYTES = 10 * 1024 * 1024
# The vault warns this many days before a document expires.
EXPIRY_NOTICE_DAYS = 30


class PressError(Exception):
    """A refused write, with a message for the person and the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def absolute(path: str) -> str:
    return settings.COLLAB_PUBLIC_URL.rstrip("/") + path


# ---- Mail --------------------------------------------------------------------------------


def send_mail_in(language: str, to: list[str], subject, template: str, context: dict) -> None:
    """One plain-text e-mail, written in ``language``, through Django's e-mail backend."""
    with translation.override(language):
        body = render_to_string(template, context)
        EmailMessage(str(subject), body, settings.DEFAULT_FROM_EMAIL, to).send()


def send_company_mail(company_pk: int, subject, template: str, context: dict) -> None:
    """To the company's address and its representatives, in the company's language."""
    company = Company.objects.filter(pk=company_pk).first()
    if company is None:
        return
    recipients = {company.email}
    recipients.update(company.members.filter(
        role=CompanyMember.Role.REPRESENTATIVE, accepted=True, user__is_active=True,
    ).exclude(user__email="").values_list("user__email", flat=True))
    try:
        send_mail_in(company.language, sorted(recipients), subject, template,
                     {"company": company, "company_url": absolute(reverse("press:company")),
                      **context})
    except Exception:  # the decision stands; the company also sees it on its page
        logger.exception("press: mail to company %s failed", company_pk)


# ---- Registration and e-mail verification --------------------------------------------------


def verification_type() -> RequestType:
    from django.contrib.auth.models import Group

    request_type = RequestType.objects.filter(code=verification.TYPE_CODE).first()
    return request_type or verification.seed_type(Group, RequestType)


def _checklist() -> tuple[RequestType, int, int]:
    request_type = verification_type()
    lines = {line.position: line.pk for line in request_type.documents.all()}
    return (request_type, lines[verification.STATUTES_POSITION],
            lines[verification.RC_EXTRACT_POSITION])


COMPANY_FIELDS = [
    "name_ar", "name_latin", "legal_form", "rc_number", "ice", "tax_id", "cnss_number",
    "address", "city", "region", "medium", "legal_representative", "email", "phone",
    "language",
]


def register_company(data: dict, *, statutes, rc_extract) -> Company:
    """Register a company and its representative's account, and file its
    verification with the statutes and the trade register extract.

    ``data``: the registration form's cleaned data. The account stays inactive
    until its e-mail address is confirmed (``send_verification_email``). All
    or nothing: a refused document leaves no account, company or stored file.
    """
    request_type, statutes_line, rc_line = _checklist()
    with transaction.atomic():
        email = data["email"].strip()
        user = User(username=email.lower(), email=email, first_name=data["full_name"][:150],
                    is_external=True, is_active=False, preferred_language=data["language"])
        user.set_password(data["password1"])
        user.save()
        organisation = Organisation.objects.create(
            code=f"press-{uuid.uuid4().hex[:12]}", name_ar=data["name_ar"],
            name_fr=data["name_latin"], name_en=data["name_latin"])
        organisation.members.add(user)
        company = Company.objects.create(
            organisation=organisation, **{name: data[name] for name in COMPANY_FIELDS})
        Publication.objects.bulk_create(
            Publication(company=company, title=title, medium=company.medium)
            for title in data["publications"])
        CompanyMember.objects.create(user=user, company=company,
                                     role=CompanyMember.Role.REPRESENTATIVE, accepted=True)
        try:
            request_services.file_application(
                user, request_type, applicant_organisation=organisation,
                documents={statutes_line: statutes, rc_line: rc_extract})
        except WorkflowError as error:
            field = {f"document-{statutes_line}": "statutes",
                     f"document-{rc_line}": "rc_extract"}.get(error.field or "")
            raise PressError(error.message, field) from None
        transaction.on_commit(lambda: send_verification_email(user))
    return company


def email_token(user) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=EMAIL_SALT)


def send_verification_email(user) -> None:
    link = absolute(reverse("press:verify_email", args=[email_token(user)]))
    send_mail_in(user.preferred_language, [user.email],
                 gettext_lazy("Confirm your e-mail address for the press space"),
                 "press/email/verify_email.txt", {"user": user, "link": link})


def verify_email(token: str):
    """The account the link was sent to, now active; None for a bad or old link."""
    try:
        data = signing.loads(token, salt=EMAIL_SALT,
                             max_age=EMAIL_LINK_MAX_AGE.total_seconds())
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e"), is_external=True).first()
    if user is None:
        return None
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return user


# ---- Verification: the company answers a correction -----------------------------------------


def verification_request(company: Company) -> Request | None:
    return (Request.objects.filter(request_type__code=verification.TYPE_CODE,
                                   applicant_organisation_id=company.organisation_id)
            .select_related("request_type", "current_step").order_by("-pk").first())


def resubmit_verification(user, company: Company, *, comment: str, statutes=None,
                          rc_extract=None) -> Request:
    request = verification_request(company)
    if request is None:
        raise PressError(_("Your company has no verification to correct."))
    _type, statutes_line, rc_line = _checklist()
    documents = {}
    if statutes is not None:
        documents[statutes_line] = statutes
    if rc_extract is not None:
        documents[rc_line] = rc_extract
    try:
        return request_services.resubmit(request.pk, user, comment=comment, documents=documents)
    except WorkflowError as error:
        field = {f"document-{statutes_line}": "statutes",
                 f"document-{rc_line}": "rc_extract", "comment": "comment"}.get(error.field or "")
        raise PressError(error.message, field) from None


def update_company(company: Company, form) -> Company:
    """The representative corrects the company's details, until it is verified
    (then the ministry's records hold them: a change goes through the press office)."""
    if company.status in (Company.Status.VERIFIED, Company.Status.SUSPENDED):
        raise PressError(_("A verified company's details are changed by the press office."))
    with transaction.atomic():
        company = form.save()
        Organisation.objects.filter(pk=company.organisation_id).update(
            name_ar=company.name_ar, name_fr=company.name_latin, name_en=company.name_latin)
    return company


# ---- Members ------------------------------------------------------------------------------


def invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute(reverse("press:accept_invitation", args=[uid, token]))


def invite_member(company: Company, by, *, email: str, full_name: str, role: str) -> CompanyMember:
    """A colleague's account, waiting for them to set a password from the e-mailed link."""
    email = email.strip()
    if User.objects.filter(username__iexact=email).exists() or User.objects.filter(
            email__iexact=email).exists():
        raise PressError(_("An account with this e-mail address already exists."), "email")
    with transaction.atomic():
        user = User(username=email.lower(), email=email, first_name=full_name[:150],
                    is_external=True, preferred_language=company.language)
        user.set_unusable_password()
        user.save()
        member = CompanyMember.objects.create(user=user, company=company, role=role,
                                              invited_by=by, accepted=False)
        transaction.on_commit(lambda: send_invitation(member))
    return member


def send_invitation(member: CompanyMember) -> None:
    company = member.company
    send_mail_in(company.language, [member.user.email],
                 gettext_lazy("You are invited to the press space"),
                 "press/email/invitation.txt",
                 {"member": member, "company": company, "link": invitation_link(member.user),
                  "inviter": member.invited_by})


def accept_invitation(user) -> None:
    """After the invited person set their password: they act for the company."""
    with transaction.atomic():
        member = CompanyMember.objects.select_related("company").get(user=user)
        member.accepted = True
        member.save(update_fields=["accepted"])
        member.company.organisation.members.add(user)


def remove_member(company: Company, member: CompanyMember, by) -> None:
    if member.user_id == by.pk:
        raise PressError(_("You cannot remove yourself."))
    with transaction.atomic():
        company.organisation.members.remove(member.user)
        user = member.user
        member.delete()
        user.is_active = False
        user.save(update_fields=["is_active"])


# ---- Journalists ------------------------------------------------------------------------------


def _refuse_infected(upload, field: str) -> None:
    if file_services.is_infected(upload):
        raise PressError(_("%(name)s contains malware: it was refused.")
                         % {"name": getattr(upload, "name", "")}, field)


def _check_photo(upload) -> None:
    if getattr(upload, "content_type", "") not in PHOTO_TYPES:
        raise PressError(_("The photo must be a JPEG or PNG image."), "photo")
    if upload.size > PHOTO_MAX_BYTES:
        raise PressError(_("The photo is too large (5 MB at most)."), "photo")
    _refuse_infected(upload, "photo")


def save_journalist(company: Company, by, data: dict, *, photo=None,
                    journalist: Journalist | None = None) -> Journalist:
    """Register (or edit) a journalist of ``company``; a new photo replaces the old one."""
    if photo is not None:
        _check_photo(photo)
    fields = ["name_ar", "name_latin", "cin", "position", "hire_date", "cnss_number", "active"]
    duplicate = Journalist.objects.filter(company=company, cin=data["cin"])
    if journalist is not None:
        duplicate = duplicate.exclude(pk=journalist.pk)
    if duplicate.exists():
        raise PressError(_("A journalist with this CIN number is already registered."), "cin")
    uploads = [photo] if photo is not None else []
    try:
        with file_services.attachment_uploads(by, uploads, attached_to="press",
                                              max_size=PHOTO_MAX_BYTES) as pending, \
                transaction.atomic():
            item = journalist or Journalist(company=company)
            for name in fields:
                if name in data:
                    setattr(item, name, data[name])
            old_photo = item.photo if pending else None
            if pending:
                item.photo = pending[0].record().file
            item.save()
            if old_photo is not None:
                file_services.discard_attachments([old_photo])
    except file_services.UploadRefused as error:
        raise PressError(error.message, "photo") from None
    return item


# ---- The vault ---------------------------------------------------------------------------------


def add_vault_document(company: Company, by, *, kind: str, upload, issued_on=None,
                       expires_on=None) -> CompanyDocument:
    """Store a company document once (scanned like every upload) with its dates."""
    if getattr(upload, "content_type", "") not in VAULT_TYPES:
        raise PressError(_("Upload a PDF, JPEG or PNG file."), "file")
    if upload.size > VAULT_MAX_BYTES:
        raise PressError(_("The file is too large (10 MB at most)."), "file")
    if issued_on and expires_on and expires_on < issued_on:
        raise PressError(_("The expiry date comes after the issue date."), "expires_on")
    _refuse_infected(upload, "file")
    try:
        with file_services.attachment_uploads(by, [upload], attached_to="press",
                                              max_size=VAULT_MAX_BYTES) as pending, \
                transaction.atomic():
            return CompanyDocument.objects.create(
                company=company, kind=kind, file=pending[0].record().file,
                issued_on=issued_on, expires_on=expires_on, uploaded_by=by)
    except file_services.UploadRefused as error:
        raise PressError(error.message, "file") from None


def delete_vault_document(document: CompanyDocument) -> None:
    with transaction.atomic():
        file = document.file
        document.delete()
        # A dossier filed with this vault document refers to the same file:
        # the dossier keeps it.
        from requests.models import RequestAttachment

        if not RequestAttachment.objects.filter(file=file).exists():
            file_services.discard_attachments([file])


def send_expiry_notices(today: datetime.date | None = None,
                        days: int = EXPIRY_NOTICE_DAYS) -> int:
    """Warn each company once about each vault document expiring within ``days``
    (an e-mail in its language and a notification to its representatives).
    Returns how many documents were announced."""
    from collab.services import notify

    today = today or timezone.localdate()
    due = (CompanyDocument.objects.filter(
        expires_on__isnull=False, expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=days),
        expiry_notice_sent_on__isnull=True,
    ).select_related("company").order_by("company_id", "expires_on"))
    by_company: dict[int, list[CompanyDocument]] = {}
    for document in due:
        by_company.setdefault(document.company_id, []).append(document)
    for company_id, documents in by_company.items():
        company = documents[0].company
        send_company_mail(company_id, gettext_lazy("Company documents about to expire"),
                          "press/email/expiry_notice.txt", {"documents": documents})
        link = reverse("press:vault")
        listing = in_every_language(lambda documents=documents: ", ".join(
            f"{d.get_kind_display()} ({d.expires_on:%d/%m/%Y})" for d in documents))
        for member in company.members.filter(accepted=True, user__is_active=True).select_related(
                "user"):
            notify(member.user, kind="press.document_expiring",
                   title=gettext_later("Company documents about to expire"),
                   body=listing, link=link)
        CompanyDocument.objects.filter(pk__in=[d.pk for d in documents]).update(
            expiry_notice_sent_on=today)
    return sum(len(documents) for documents in by_company.values())
