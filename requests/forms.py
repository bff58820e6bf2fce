from django import forms
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collab.forms import Form
from collab.models import Directorate
from files.forms import MultipleFileField

from .models import CertificateRequest, RequestType, SocialServiceRequest, Stage, WorkflowStep

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ChecklistMixin:
    """One file field per line of the type's checklist (``document-<id>``), with
    its issue date when the line has a validity (``issued-<id>``); they replace
    the generic attachments field. The engine checks them at submission and
    names the line in its errors, which land beside these fields."""

    def add_checklist(self, request_type: RequestType) -> None:
        self.requirements = list(request_type.documents.all())
        if not self.requirements:
            return
        self.fields.pop("attachments", None)
        for requirement in self.requirements:
            hints = []
            if requirement.accepted_types:
                hints.append(_("Accepted: %(types)s")
                             % {"types": ", ".join(requirement.accepted_types)})
            if requirement.max_bytes:
                hints.append(_("At most %(size)s")
                             % {"size": filesizeformat(requirement.max_bytes)})
            if requirement.validity_days:
                hints.append(_("Issued less than %(days)s days ago")
                             % {"days": requirement.validity_days})
            if not requirement.required:
                hints.append(pgettext_lazy("document", "Optional"))
            # The form partial shows help text unescaped: escape the admin's values.
            field = forms.FileField(label=requirement.label, required=False,
                                    help_text=escape(" · ".join(str(h) for h in hints)))
            if requirement.accepted_types:
                field.widget.attrs["accept"] = ",".join(requirement.accepted_types)
            self.fields[f"document-{requirement.pk}"] = field
            if requirement.validity_days:
                self.fields[f"issued-{requirement.pk}"] = forms.DateField(
                    label=_("%(document)s: issued on") % {"document": requirement.label},
                    required=False, widget=DATE)

    def checklist(self) -> dict:
        """documents (line id -> upload) and issued_on (line id -> date), for the services."""
        if not getattr(self, "requirements", None):
            return {"uploads": self.cleaned_data.get("attachments") or []}
        documents, issued_on = {}, {}
        for requirement in self.requirements:
            upload = self.cleaned_data.get(f"document-{requirement.pk}")
            if upload:
                documents[requirement.pk] = upload
            day = self.cleaned_data.get(f"issued-{requirement.pk}")
            if day:
                issued_on[requirement.pk] = day
        return {"documents": documents, "issued_on": issued_on}


class LeaveForm(ChecklistMixin, Form):
    start_date = forms.DateField(label=_("First day"), widget=DATE)
    start_afternoon = forms.BooleanField(label=_("Start at midday (afternoon only)"),
                                         required=False)
    end_date = forms.DateField(label=_("Last day"), widget=DATE)
    end_morning = forms.BooleanField(label=_("End at midday (morning only)"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        if "reason" in (request_type.required_fields or []):
            self.fields["reason"].required = True
        if request_type.attachment_required:
            self.fields["attachments"].required = True
            if request_type.attachment_label:
                self.fields["attachments"].label = request_type.attachment_label
        self.add_checklist(request_type)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day is before the first day."))
        return data


class CertificateForm(ChecklistMixin, Form):
    language = forms.ChoiceField(label=_("Language of the certificate"),
                                 choices=CertificateRequest.Language.choices)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=300,
                              widget=forms.TextInput(attrs={"dir": "auto"}))
    copies = forms.IntegerField(label=_("Copies"), min_value=1, max_value=5, initial=1)

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        if "purpose" in (request_type.required_fields or []):
            self.fields["purpose"].required = True
        self.add_checklist(request_type)


class SocialForm(ChecklistMixin, Form):
    service = forms.ChoiceField(label=_("Service"), choices=SocialServiceRequest.Service.choices)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}))
    amount = forms.DecimalField(label=_("Amount (MAD)"), required=False, min_value=0,
                                max_digits=10, decimal_places=2)
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        for name in request_type.required_fields or []:
            if name in self.fields:
                self.fields[name].required = True
        if request_type.attachment_required:
            self.fields["attachments"].required = True
        self.add_checklist(request_type)


FORMS = {
    RequestType.Family.LEAVE: LeaveForm,
    RequestType.Family.CERTIFICATE: CertificateForm,
    RequestType.Family.SOCIAL: SocialForm,
}


class QueueFilterForm(Form):
    type = forms.ModelChoiceField(label=_("Type"), queryset=RequestType.objects.all(),
                                  required=False)
    step = forms.ModelChoiceField(label=_("Step"), required=False,
                                  queryset=WorkflowStep.objects.select_related("request_type"))
    directorate = forms.ModelChoiceField(label=_("Directorate"),
                                         queryset=Directorate.objects.all(), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False,
        choices=[("", _("All")), ("waiting", _("Waiting for my decision")),
                 ("open", pgettext_lazy("state", "Open"))] + list(Stage.choices),
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    date_from = forms.DateField(label=_("Submitted from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Submitted until"), required=False, widget=DATE)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            from .policies import unit_types

            types = unit_types(user)
            self.fields["type"].queryset = types
            self.fields["step"].queryset = WorkflowStep.objects.filter(
                request_type__in=types).select_related("request_type")


class ReturnForm(Form):
    """What the officer asks the applicant to fix."""

    text = forms.CharField(label=_("What to correct"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))
    missing = forms.ModelMultipleChoiceField(label=_("Documents missing"), required=False,
                                             queryset=None)
    incorrect = forms.ModelMultipleChoiceField(label=_("Documents incorrect"),
                                               required=False, queryset=None)
    outdated = forms.ModelMultipleChoiceField(label=_("Documents outdated"), required=False,
                                              queryset=None)

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("missing", "incorrect", "outdated"):
            self.fields[name].queryset = request_type.documents.all()

    def items(self) -> list[dict]:
        data = self.cleaned_data
        items = [{"kind": f"document_{name}", "document": doc.pk, "text": ""}
                 for name in ("missing", "incorrect", "outdated") for doc in data[name]]
        if data["text"].strip():
            items.append({"kind": "text", "document": None, "text": data["text"]})
        return items


class MessageForm(Form):
    # A message may be only files; the service refuses one with neither.
    body = forms.CharField(label=_("Message"), max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "dir": "auto"}))
    internal = forms.BooleanField(label=_("Internal note (the applicant never sees it)"),
                                  required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)


class InterServiceForm(ChecklistMixin, Form):
    subject = forms.CharField(label=_("Subject"), max_length=200,
                              widget=forms.TextInput(attrs={"dir": "auto"}))
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}))
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, request_type: RequestType, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        if request_type.attachment_required:
            self.fields["attachments"].required = True
        self.add_checklist(request_type)


class DelegationForm(Form):
    acting_manager = forms.ModelChoiceField(
        label=_("Acting manager"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("last_name"),
    )
    start_date = forms.DateField(label=_("From"), widget=DATE)
    end_date = forms.DateField(label=_("Until"), widget=DATE)


class AdjustmentForm(Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    days = forms.DecimalField(label=_("Days (negative to remove)"), max_digits=5,
                              decimal_places=1)
    reason = forms.CharField(label=_("Reason"), max_length=300)

FORMS[RequestType.Family.INTERSERVICE] = InterServiceForm
