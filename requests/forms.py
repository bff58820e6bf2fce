from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from collab.forms import Form
from collab.models import Directorate
from files.forms import MultipleFileField

from .models import CertificateRequest, RequestType, SocialServiceRequest, Stage

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LeaveForm(Form):
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

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day is before the first day."))
        return data


class CertificateForm(Form):
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


class SocialForm(Form):
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


FORMS = {
    RequestType.Family.LEAVE: LeaveForm,
    RequestType.Family.CERTIFICATE: CertificateForm,
    RequestType.Family.SOCIAL: SocialForm,
}


class QueueFilterForm(Form):
    type = forms.ModelChoiceField(label=_("Type"), queryset=RequestType.objects.all(),
                                  required=False)
    directorate = forms.ModelChoiceField(label=_("Directorate"),
                                         queryset=Directorate.objects.all(), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False,
        choices=[("", _("All")), ("waiting", _("Waiting for HR"))] + list(Stage.choices),
    )
    date_from = forms.DateField(label=_("Submitted from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Submitted until"), required=False, widget=DATE)


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
