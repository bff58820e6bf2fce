"""The press space's dossiers on the procedures engine, and their configuration.

Each dossier is an engine application (requests.Request, applicant kind
"organisation": the company's Organisation) plus one row here holding what
that family asks (the journalist and salary of a press card, the publication
of a committee number...). The engine owns the state, stages, checklist,
timeline and conversation; these rows never change an application's stage.

Configuration the ministry edits in the admin: press card campaigns (windows
and salary floors per medium, per year), the train card quota per year, the
eligibility rules of direct public support.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from requests.models import _localized

from .models import Company, Journalist, Medium, Publication, Region

# The engine families of the press space (RequestType.family, 16 characters at most).
PRESS_CARD = "press_card"
TRAIN_CARD = "train_card"
COMMITTEE_NUMBER = "press_committee"
DIRECT_SUPPORT = "press_support"
FILMING_PERMIT = "filming_permit"
FAMILIES = (PRESS_CARD, TRAIN_CARD, COMMITTEE_NUMBER, DIRECT_SUPPORT, FILMING_PERMIT)


# ---- Configuration -----------------------------------------------------------------


class PressCampaign(models.Model):
    """The press card campaign of one card year (cards run 1 January to 31
    December): new applications during the deposit period, missing documents
    completed during the completion period."""

    year = models.PositiveSmallIntegerField(_("card year"), unique=True)
    deposit_opens = models.DateField(_("deposit opens"))
    deposit_closes = models.DateField(_("deposit closes"))
    completion_opens = models.DateField(_("completion of missing documents opens"))
    completion_closes = models.DateField(_("completion of missing documents closes"))

    class Meta:
        ordering = ["-year"]
        verbose_name = _("press card campaign")
        verbose_name_plural = _("press card campaigns")

    def __str__(self):
        return str(self.year)

    def clean(self):
        if self.deposit_opens and self.deposit_closes and self.deposit_closes < self.deposit_opens:
            raise ValidationError({"deposit_closes": _("The end comes before the start.")})
        if (self.completion_opens and self.completion_closes
                and self.completion_closes < self.completion_opens):
            raise ValidationError({"completion_closes": _("The end comes before the start.")})
        if self.deposit_opens and self.completion_opens and (
                self.completion_opens < self.deposit_opens):
            raise ValidationError({"completion_opens": _(
                "The completion period starts after the deposit period opens.")})

    def deposit_open_on(self, day) -> bool:
        return self.deposit_opens <= day <= self.deposit_closes

    def completion_open_on(self, day) -> bool:
        return self.completion_opens <= day <= self.completion_closes


class SalaryFloor(models.Model):
    """The lowest monthly salary a press card applicant may declare, per medium."""

    campaign = models.ForeignKey(PressCampaign, verbose_name=_("campaign"),
                                 on_delete=models.CASCADE, related_name="salary_floors")
    medium = models.CharField(_("medium"), max_length=16, choices=Medium.choices)
    monthly_minimum = models.DecimalField(_("minimum monthly salary (MAD)"), max_digits=10,
                                          decimal_places=2)

    class Meta:
        ordering = ["campaign", "medium"]
        verbose_name = _("salary floor")
        verbose_name_plural = _("salary floors")
        constraints = [models.UniqueConstraint(fields=["campaign", "medium"],
                                               name="press_salary_floor_once")]

    def __str__(self):
        return f"{self.campaign} {self.get_medium_display()}: {self.monthly_minimum}"


class TrainCardQuota(models.Model):
    """How many train cards the rail operator grants journalists in a year;
    approved applications beyond it wait on a list, in order of approval."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    quota = models.PositiveIntegerField(_("cards"), default=600)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("train card quota")
        verbose_name_plural = _("train card quotas")

    def __str__(self):
        return f"{self.year}: {self.quota}"


class SupportEligibilityRule(models.Model):
    """One condition a company must meet to apply for direct public support;
    the message says what is missing when it does not."""

    class Fact(models.TextChoices):
        JOURNALISTS = "professional_journalists", _("Professional journalists")
        YEARS = "years_of_activity", _("Years of activity")
        TURNOVER = "annual_turnover", _("Annual turnover (MAD)")
        AMOUNT = "requested_amount", _("Requested amount (MAD)")

    class Operator(models.TextChoices):
        GTE = "gte", "≥"
        LTE = "lte", "≤"

    fact = models.CharField(_("fact"), max_length=32, choices=Fact.choices)
    operator = models.CharField(_("operator"), max_length=3, choices=Operator.choices)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    message_ar = models.CharField(_("message (Arabic)"), max_length=300)
    message_fr = models.CharField(_("message (French)"), max_length=300)
    message_en = models.CharField(_("message (English)"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["fact", "pk"]
        verbose_name = _("support eligibility rule")
        verbose_name_plural = _("support eligibility rules")

    def __str__(self):
        return f"{self.get_fact_display()} {self.get_operator_display()} {self.value}"

    @property
    def message(self) -> str:
        return _localized(self.message_ar, self.message_fr, self.message_en)

    def holds(self, facts: dict) -> bool:
        value = Decimal(str(facts.get(self.fact, 0) or 0))
        return value >= self.value if self.operator == self.Operator.GTE else value <= self.value


# ---- Dossiers: what each family asks ---------------------------------------------------


class PressCardDossier(models.Model):
    """A professional press card for one journalist and one year."""

    request = models.OneToOneField("staff_requests.Request", on_delete=models.CASCADE,
                                   related_name="press_card", primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    journalist = models.ForeignKey(Journalist, verbose_name=_("journalist"),
                                   on_delete=models.PROTECT, related_name="press_cards")
    year = models.PositiveSmallIntegerField(_("card year"))
    renewal_of = models.ForeignKey("self", verbose_name=_("renewal of"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    position = models.CharField(_("role in the company"), max_length=150)
    monthly_salary = models.DecimalField(_("monthly salary (MAD)"), max_digits=10,
                                         decimal_places=2)
    # Given when the card is issued.
    card_number = models.CharField(_("card number"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("press card dossier")
        verbose_name_plural = _("press card dossiers")
        indexes = [models.Index(fields=["journalist", "year"], name="press_card_journalist_year")]
        constraints = [models.UniqueConstraint(fields=["card_number"],
                                               condition=~models.Q(card_number=""),
                                               name="press_card_number_once")]

    def __str__(self):
        return f"{self.journalist} {self.year}"


class TrainCardDossier(models.Model):
    """A free rail pass for one journalist and one year, within the year's quota."""

    request = models.OneToOneField("staff_requests.Request", on_delete=models.CASCADE,
                                   related_name="train_card", primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    journalist = models.ForeignKey(Journalist, verbose_name=_("journalist"),
                                   on_delete=models.PROTECT, related_name="train_cards")
    year = models.PositiveSmallIntegerField(_("year"))
    card_number = models.CharField(_("card number"), max_length=24, blank=True)
    # Approved after the quota was spent: its place on the waiting list.
    waiting_position = models.PositiveIntegerField(_("place on the waiting list"), null=True,
                                                   blank=True)

    class Meta:
        verbose_name = _("train card dossier")
        verbose_name_plural = _("train card dossiers")
        indexes = [models.Index(fields=["journalist", "year"], name="train_card_journalist_year")]

    def __str__(self):
        return f"{self.journalist} {self.year}"


class CommitteeNumberDossier(models.Model):
    """The joint committee number of a publication: a first request or a renewal."""

    request = models.OneToOneField("staff_requests.Request", on_delete=models.CASCADE,
                                   related_name="committee_number", primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    publication = models.ForeignKey(Publication, verbose_name=_("publication"),
                                    on_delete=models.PROTECT, related_name="committee_numbers")
    renewal = models.BooleanField(_("renewal"), default=False)
    previous_number = models.CharField(_("current number"), max_length=24, blank=True)
    number = models.CharField(_("committee number"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("joint committee number dossier")
        verbose_name_plural = _("joint committee number dossiers")

    def __str__(self):
        return str(self.publication)


class SupportDossier(models.Model):
    """Basic direct public support asked by a company for a year."""

    request = models.OneToOneField("staff_requests.Request", on_delete=models.CASCADE,
                                   related_name="press_support", primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    professional_journalists = models.PositiveIntegerField(_("professional journalists"))
    years_of_activity = models.PositiveIntegerField(_("years of activity"))
    annual_turnover = models.DecimalField(_("annual turnover (MAD)"), max_digits=14,
                                          decimal_places=2)
    requested_amount = models.DecimalField(_("requested amount (MAD)"), max_digits=14,
                                           decimal_places=2)
    granted_amount = models.DecimalField(_("granted amount (MAD)"), max_digits=14,
                                         decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("direct support dossier")
        verbose_name_plural = _("direct support dossiers")

    def __str__(self):
        return f"{self.company} {self.year}"


class CommitteeMinutes(models.Model):
    """The committee's sitting on a dossier: who attended and the minutes.
    A committee step cannot be decided before they are recorded."""

    request = models.ForeignKey("staff_requests.Request", on_delete=models.CASCADE,
                                related_name="committee_minutes")
    step = models.ForeignKey("staff_requests.WorkflowStep", on_delete=models.PROTECT,
                             related_name="+")
    held_on = models.DateField(_("held on"))
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("attendees"),
                                       related_name="+")
    minutes = models.TextField(_("minutes"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = _("committee minutes")
        verbose_name_plural = _("committee minutes")

    def __str__(self):
        return f"{self.request_id} {self.held_on}"


class FilmingPermitDossier(models.Model):
    """A filming permit for a production: where, when, who and with what."""

    class Kind(models.TextChoices):
        FEATURE = "feature", _("Feature film")
        DOCUMENTARY = "documentary", _("Documentary")
        SERIES = "series", _("Television series")
        REPORT = "report", _("News report")
        ADVERT = "advert", _("Advertisement")
        OTHER = "other", _("Other production")

    request = models.OneToOneField("staff_requests.Request", on_delete=models.CASCADE,
                                   related_name="filming_permit", primary_key=True)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    production_kind = models.CharField(_("kind of production"), max_length=16,
                                       choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    start_date = models.DateField(_("first day of filming"))
    end_date = models.DateField(_("last day of filming"))
    # [{"region": Region code, "city": ..., "place": ...}]
    locations = models.JSONField(_("locations"), default=list)
    # [{"name": ..., "role": ...}]
    crew = models.JSONField(_("crew"), default=list)
    equipment = models.TextField(_("equipment"))
    permit_number = models.CharField(_("permit number"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("filming permit dossier")
        verbose_name_plural = _("filming permit dossiers")

    def __str__(self):
        return self.title

    def location_labels(self) -> list[str]:
        regions = dict(Region.choices)
        return [f"{item.get('city', '')} ({regions.get(item.get('region'), '')})"
                for item in self.locations]
