"""The press enterprise space: companies, their members and journalists, and
the company's document vault.

A press company applies through the procedures engine as an external
``Organisation`` (requests.models_engine): ``Company`` holds what the ministry
registers about it, one to one. The people who act for it are ordinary users
marked ``User.is_external`` and linked by a ``CompanyMember``; journalists are
records of the company, not accounts.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# ICE (identifiant commun de l'entreprise): 15 digits, 9 for the enterprise,
# 4 for the establishment, 2 of control. The control key's rule is not
# published, so the format is what we can check.
ICE_RE = re.compile(r"^\d{15}$")
# A Moroccan number in international form: +212, then 9 digits starting
# with 5 (fixed), 6 or 7 (mobile) or 8 (fixed/VoIP).
PHONE_RE = re.compile(r"^\+212[5-8]\d{8}$")
# The national identity card: one or two letters then up to six digits.
CIN_RE = re.compile(r"^[A-Z]{1,2}\d{1,6}$")


def validate_ice(value: str) -> None:
    if not ICE_RE.match(value or "") or set(value) == {"0"}:
        raise ValidationError(_("The ICE is exactly 15 digits."), code="ice")


def normalise_phone(value: str) -> str:
    """'06 12 34 56 78', '00212612345678' or '+212 6-12-34-56-78' -> '+212612345678'."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("00212"):
        digits = "+212" + digits[5:]
    elif digits.startswith("212"):
        digits = "+" + digits
    elif digits.startswith("0") and len(digits) == 10:
        digits = "+212" + digits[1:]
    return digits


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value or ""):
        raise ValidationError(
            _("Enter a Moroccan phone number: +212 followed by 9 digits, e.g. +212612345678."),
            code="phone",
        )


def validate_cin(value: str) -> None:
    if not CIN_RE.match(value or ""):
        raise ValidationError(
            _("The CIN number is one or two letters followed by digits, e.g. AB123456."),
            code="cin",
        )


digits_only = RegexValidator(r"^\d+$", _("Digits only."), code="digits")


class Region(models.TextChoices):
    """The twelve regions of Morocco (2015 division)."""

    TANGER_TETOUAN_AL_HOCEIMA = "01", _("Tanger-Tétouan-Al Hoceïma")
    ORIENTAL = "02", _("Oriental")
    FES_MEKNES = "03", _("Fès-Meknès")
    RABAT_SALE_KENITRA = "04", _("Rabat-Salé-Kénitra")
    BENI_MELLAL_KHENIFRA = "05", _("Béni Mellal-Khénifra")
    CASABLANCA_SETTAT = "06", _("Casablanca-Settat")
    MARRAKECH_SAFI = "07", _("Marrakech-Safi")
    DRAA_TAFILALET = "08", _("Drâa-Tafilalet")
    SOUSS_MASSA = "09", _("Souss-Massa")
    GUELMIM_OUED_NOUN = "10", _("Guelmim-Oued Noun")
    LAAYOUNE_SAKIA_EL_HAMRA = "11", _("Laâyoune-Sakia El Hamra")
    DAKHLA_OUED_EDDAHAB = "12", _("Dakhla-Oued Ed-Dahab")


class Medium(models.TextChoices):
    PRINT = "print", _("Print press")
    ELECTRONIC = "electronic", _("Electronic press")
    AUDIOVISUAL = "audiovisual", _("Audiovisual")
    AGENCY = "agency", _("News agency")


class Company(models.Model):
    """A press company registered in the press space."""

    class LegalForm(models.TextChoices):
        SARL = "sarl", _("Limited liability company (SARL)")
        SARL_AU = "sarl_au", _("Single-member limited liability company (SARL AU)")
        SA = "sa", _("Public limited company (SA)")
        SNC = "snc", _("General partnership (SNC)")
        SOLE = "sole", _("Sole proprietorship")
        ASSOCIATION = "association", _("Association")
        PUBLIC = "public", _("Public body")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        RETURNED = "returned", _("Returned for correction")
        SUSPENDED = "suspended", _("Suspended")

    organisation = models.OneToOneField(
        "staff_requests.Organisation", verbose_name=_("organisation"),
        on_delete=models.PROTECT, related_name="company",
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200)
    legal_form = models.CharField(_("legal form"), max_length=16, choices=LegalForm.choices)
    rc_number = models.CharField(_("trade register (RC) number"), max_length=32)
    ice = models.CharField(_("ICE"), max_length=15, unique=True, validators=[validate_ice])
    tax_id = models.CharField(_("tax identifier (IF)"), max_length=12, validators=[digits_only])
    cnss_number = models.CharField(_("CNSS number"), max_length=12, validators=[digits_only])
    address = models.CharField(_("address"), max_length=300)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=2, choices=Region.choices)
    medium = models.CharField(_("medium"), max_length=16, choices=Medium.choices)
    legal_representative = models.CharField(_("legal representative"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=13, validators=[validate_phone])
    # Mail to the company (verification, notices) is written in this language.
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="ar"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        ordering = ["name_latin"]
        verbose_name = _("press company")
        verbose_name_plural = _("press companies")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_latin

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class Publication(models.Model):
    """A title the company publishes (a newspaper, a site, a channel)."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="publications"
    )
    title = models.CharField(_("title"), max_length=200)
    medium = models.CharField(_("medium"), max_length=16, choices=Medium.choices)

    class Meta:
        ordering = ["title"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            models.UniqueConstraint(fields=["company", "title"], name="press_publication_unique"),
        ]

    def __str__(self):
        return self.title


class CompanyMember(models.Model):
    """An external account acting for a company. One company per account."""

    class Role(models.TextChoices):
        # Manages the company's members, journalists and vault, and files.
        REPRESENTATIVE = "representative", _("Representative")
        # Files and follows dossiers.
        FILER = "filer", _("Filer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE,
        related_name="press_membership",
    )
    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="members"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.FILER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # False until the invited person has set a password through the invitation.
    accepted = models.BooleanField(_("accepted"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["company", "created_at"]
        verbose_name = _("company member")
        verbose_name_plural = _("company members")

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_representative(self) -> bool:
        return self.role == self.Role.REPRESENTATIVE


class Journalist(models.Model):
    """A journalist of the company, registered once and reused in every dossier."""

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="journalists"
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_latin = models.CharField(_("name (Latin script)"), max_length=200)
    cin = models.CharField(_("CIN number"), max_length=8, validators=[validate_cin])
    position = models.CharField(_("role in the company"), max_length=150)
    hire_date = models.DateField(_("hire date"))
    cnss_number = models.CharField(_("CNSS number"), max_length=12, validators=[digits_only])
    # An attachment file of the file store (files.File, attached_to="press"):
    # reached only through the press space's pages after its policy check.
    photo = models.ForeignKey(
        "files.File", verbose_name=_("photo"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name_latin"]
        verbose_name = _("journalist")
        verbose_name_plural = _("journalists")
        constraints = [
            models.UniqueConstraint(fields=["company", "cin"], name="press_journalist_cin_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.name_ar if (get_language() or "ar").startswith("ar") else self.name_latin


class CompanyDocument(models.Model):
    """A document of the company's vault: uploaded once, attached to any dossier."""

    class Kind(models.TextChoices):
        RC_EXTRACT = "rc_extract", _("Trade register (RC) extract")
        TAX_CERTIFICATE = "tax_certificate", _("Tax compliance certificate")
        CNSS_ATTESTATION = "cnss_attestation", _("CNSS attestation")
        STATUTES = "statutes", _("Statutes")
        ACCOUNTS = "accounts", _("Financial statements")
        OTHER = "other", _("Other document")

    company = models.ForeignKey(
        Company, verbose_name=_("company"), on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # An attachment file of the file store (attached_to="press"), scanned like
    # every upload: only the company and the press officers reach it.
    file = models.ForeignKey(
        "files.File", verbose_name=_("file"), on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # The day the expiry warning went out (press_expiry_notices sends one per document).
    expiry_notice_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "-uploaded_at"]
        verbose_name = _("company document")
        verbose_name_plural = _("company documents")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.company})"

    def clean(self):
        if self.issued_on and self.expires_on and self.expires_on < self.issued_on:
            raise ValidationError(
                {"expires_on": _("The expiry date comes after the issue date.")}
            )

    def is_expired(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.expires_on is not None and self.expires_on < today


# The dossiers' models live in models_dossiers (imported here so Django finds them).
from .models_dossiers import (  # noqa: E402,F401
    CommitteeMinutes,
    CommitteeNumberDossier,
    FilmingPermitDossier,
    PressCampaign,
    PressCardDossier,
    SalaryFloor,
    SupportDossier,
    SupportEligibilityRule,
    TrainCardDossier,
    TrainCardQuota,
)
