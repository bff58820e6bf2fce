"""The forms of the dossiers: one per family, plus the checklist's file and
issue-date fields added from the procedure type's DocumentRequirements, so
every error lands beside its field."""

from __future__ import annotations

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from collab.forms import Form

from .models import Journalist, Publication, Region
from .models_dossiers import FilmingPermitDossier
from .selectors import fits_requirement, vault_documents_for


class ChecklistForm(Form):
    """Adds ``document-<id>`` (file) and ``issued-<id>`` (date, for lines with a
    validity) for each line of the type's checklist, and ``vault-<id>`` (one of
    the company's unexpired vault documents that fits the line) where the
    vault has one, so a document uploaded once need not be uploaded again."""

    def __init__(self, *args, request_type=None, company=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.requirements = list(request_type.documents.all()) if request_type else []
        vault = list(vault_documents_for(company, valid_on=timezone.localdate())
                     ) if company is not None else []
        for requirement in self.requirements:
            accept = ",".join(requirement.accepted_types or [])
            fitting = [d for d in vault if fits_requirement(d, requirement)]
            self.fields[f"document-{requirement.pk}"] = forms.FileField(
                label=requirement.label, required=requirement.required and not fitting,
                widget=forms.ClearableFileInput(attrs={"accept": accept} if accept else {}))
            if fitting:
                # The service checks the pick again (the company's, unexpired,
                # fitting the line): a forged id is refused beside the line.
                self.fields[f"vault-{requirement.pk}"] = forms.IntegerField(
                    label=_("%(doc)s: or a document of your vault") % {"doc": requirement.label},
                    required=False,
                    widget=forms.Select(choices=[("", "---------")] + [
                        (d.pk, vault_label(d)) for d in fitting]))
            if requirement.validity_days:
                self.fields[f"issued-{requirement.pk}"] = forms.DateField(
                    label=_("%(doc)s: issued on") % {"doc": requirement.label},
                    required=requirement.required and not fitting,
                    widget=forms.DateInput(attrs={"type": "date"}))

    def family_fields(self):
        return [self[name] for name in self.fields
                if not name.startswith(("document-", "issued-", "vault-"))]

    def checklist_fields(self):
        return [self[name] for name in self.fields
                if name.startswith(("document-", "issued-", "vault-"))]

    def documents(self) -> dict:
        return {r.pk: self.cleaned_data[f"document-{r.pk}"] for r in self.requirements
                if self.cleaned_data.get(f"document-{r.pk}")}

    def issued_on(self) -> dict:
        return {r.pk: self.cleaned_data[f"issued-{r.pk}"] for r in self.requirements
                if self.cleaned_data.get(f"issued-{r.pk}")}

    def vault(self) -> dict:
        """Requirement id -> vault document id, for lines without an upload."""
        return {r.pk: self.cleaned_data[f"vault-{r.pk}"] for r in self.requirements
                if self.cleaned_data.get(f"vault-{r.pk}")
                and not self.cleaned_data.get(f"document-{r.pk}")}


def vault_label(document) -> str:
    label = f"{document.get_kind_display()} · {document.file.name}"
    if document.expires_on:
        label += f" · {formats.date_format(document.expires_on, 'SHORT_DATE_FORMAT')}"
    return label


class JournalistChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.cin})"


class PressCardForm(ChecklistForm):
    journalist = JournalistChoice(label=_("Journalist"), queryset=Journalist.objects.none())
    position = forms.CharField(label=_("Role in the company"), max_length=150)
    monthly_salary = forms.DecimalField(label=_("Monthly salary (MAD)"), min_value=0,
                                        max_digits=10, decimal_places=2)

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, company=company, **kwargs)
        self.fields["journalist"].queryset = Journalist.objects.filter(company=company,
                                                                       active=True)


class TrainCardForm(ChecklistForm):
    journalist = JournalistChoice(label=_("Journalist"), queryset=Journalist.objects.none())

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, company=company, **kwargs)
        self.fields["journalist"].queryset = Journalist.objects.filter(company=company,
                                                                       active=True)


class CommitteeNumberForm(ChecklistForm):
    publication = forms.ModelChoiceField(label=_("Publication"),
                                         queryset=Publication.objects.none())
    renewal = forms.TypedChoiceField(
        label=_("Request"), coerce=lambda v: v == "renewal",
        choices=[("first", _("First request")), ("renewal", _("Renewal"))])
    previous_number = forms.CharField(label=_("Current committee number (renewal)"),
                                      max_length=24, required=False)

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, company=company, **kwargs)
        self.fields["publication"].queryset = Publication.objects.filter(company=company)


class SupportForm(ChecklistForm):
    professional_journalists = forms.IntegerField(label=_("Professional journalists"),
                                                  min_value=0, max_value=100000)
    years_of_activity = forms.IntegerField(label=_("Years of activity"), min_value=0,
                                           max_value=500)
    annual_turnover = forms.DecimalField(label=_("Annual turnover (MAD)"), min_value=0,
                                         max_digits=14, decimal_places=2)
    requested_amount = forms.DecimalField(label=_("Requested amount (MAD)"), min_value=1,
                                          max_digits=14, decimal_places=2)

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, company=company, **kwargs)


LOCATION_ROWS = 3
CREW_ROWS = 4


class FilmingPermitForm(ChecklistForm):
    production_kind = forms.ChoiceField(label=_("Kind of production"),
                                        choices=FilmingPermitDossier.Kind.choices)
    title = forms.CharField(label=_("Title of the production"), max_length=200)
    start_date = forms.DateField(label=_("First day of filming"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Last day of filming"),
                               widget=forms.DateInput(attrs={"type": "date"}))
    equipment = forms.CharField(label=_("Equipment"), max_length=5000, widget=forms.Textarea(
        attrs={"rows": 3}))

    def __init__(self, *args, company=None, **kwargs):
        super().__init__(*args, company=company, **kwargs)
        regions = [("", "—"), *Region.choices]
        for index in range(LOCATION_ROWS):
            self.fields[f"region_{index}"] = forms.ChoiceField(
                label=_("Region (location %(n)s)") % {"n": index + 1}, choices=regions,
                required=False)
            self.fields[f"city_{index}"] = forms.CharField(
                label=_("City (location %(n)s)") % {"n": index + 1}, max_length=100,
                required=False)
        for index in range(CREW_ROWS):
            self.fields[f"crew_name_{index}"] = forms.CharField(
                label=_("Crew member %(n)s") % {"n": index + 1}, max_length=150,
                required=False)
            self.fields[f"crew_role_{index}"] = forms.CharField(
                label=_("Role of crew member %(n)s") % {"n": index + 1}, max_length=100,
                required=False)

    def locations(self) -> list:
        data = self.cleaned_data
        return [{"region": data.get(f"region_{i}", ""), "city": data.get(f"city_{i}", "")}
                for i in range(LOCATION_ROWS)]

    def crew(self) -> list:
        data = self.cleaned_data
        return [{"name": data.get(f"crew_name_{i}", ""), "role": data.get(f"crew_role_{i}", "")}
                for i in range(CREW_ROWS)]


class MinutesForm(Form):
    held_on = forms.DateField(label=_("Sitting held on"),
                              widget=forms.DateInput(attrs={"type": "date"}))
    minutes = forms.CharField(label=_("Minutes"), max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 4}))
