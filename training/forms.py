from django import forms
from django.utils.translation import gettext_lazy as _

from collab.forms import Form
from collab.models import Directorate

from .models import Course, Domain


class CatalogueFilterForm(Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    domain = forms.ModelChoiceField(
        label=_("Domain"), queryset=Domain.objects.all(), required=False,
        to_field_name="code", empty_label=_("All domains"),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("All languages")), *Course.Language.choices],
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False,
        choices=[("", _("All formats")), *Course.Format.choices],
    )
    directorate = forms.ModelChoiceField(
        label=_("Open to"), queryset=Directorate.objects.all(), required=False,
        empty_label=_("Any directorate"),
    )
    grade = forms.CharField(label=_("Grade"), max_length=40, required=False)


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MandatoryForm(Form):
    directorate = forms.ModelChoiceField(
        label=_("Directorate"), queryset=Directorate.objects.all(), required=False,
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=None, required=False,
    )
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        from django.contrib.auth.models import Group

        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("directorate")) == bool(data.get("group")):
            self.add_error("directorate", _("Choose a directorate or a group."))
        return data


class SessionForm(Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=DateTimeLocalInput())
    meeting_url = forms.URLField(
        label=_("Meeting link"), max_length=500, assume_scheme="https",
        help_text=_("The address of the meeting in the ministry's video-conference system."),
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The session must end after it starts."))
        return data


class AnnouncementForm(Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    body = forms.CharField(label=_("Text"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}))


class ReportFilterForm(Form):
    course = forms.ModelChoiceField(
        label=_("Course"), queryset=Course.objects.all(), required=False,
        to_field_name="code", empty_label=_("All courses"),
    )
    directorate = forms.ModelChoiceField(
        label=_("Directorate"), queryset=Directorate.objects.all(), required=False,
        empty_label=_("All directorates"),
    )
    kind = forms.ChoiceField(
        label=_("Directorates"), required=False,
        choices=[("", _("Central and regional")), *Directorate.Kind.choices],
    )
