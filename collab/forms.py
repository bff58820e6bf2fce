from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Directorate, User
from .text import http_text_problem, strip_bidi


def validate_http_text(value: str) -> None:
    if problem := http_text_problem(value):
        raise ValidationError(problem, code="bad_character")


def _without_bidi(to_python):
    def clean(value):
        return strip_bidi(to_python(value))

    return clean


class CheckedTextMixin:
    """Every text field of the form refuses control characters, lone surrogates
    and undecodable bytes with a message beside the field, and drops bidi
    controls (collab.text) so a name or title cannot reorder what others see.

    Every form of the project derives from ``Form`` or ``ModelForm`` below (or
    mixes this in), so a new text field is covered without thinking of it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.CharField):
                continue
            # Fields are copied per form instance: changing them here is local.
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ] + [validate_http_text]
            # A password is taken exactly as typed.
            if not isinstance(field.widget, forms.PasswordInput):
                field.to_python = _without_bidi(field.to_python)


class Form(CheckedTextMixin, forms.Form):
    pass


class ModelForm(CheckedTextMixin, forms.ModelForm):
    pass


class LoginForm(CheckedTextMixin, auth_forms.AuthenticationForm):
    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            # The directory backend marks the request when it could not ask
            # the directory: "wrong password" would send people the wrong way.
            if getattr(self.request, "directory_unreachable", False):
                raise ValidationError(
                    _("The staff directory cannot be reached right now, so your password "
                      "could not be checked. Please try again in a few minutes."),
                    code="directory_unreachable",
                ) from error
            raise


class PasswordChangeForm(CheckedTextMixin, auth_forms.PasswordChangeForm):
    pass


class ProfileForm(ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "full_name_ar", "gender", "email", "job_title",
                  "job_title_ar", "job_title_en", "preferred_language", "digest_hours"]
        # Arabic names are typed right to left whatever the page's language.
        widgets = {
            "full_name_ar": forms.TextInput(attrs={"dir": "rtl"}),
            "job_title": forms.TextInput(attrs={"dir": "auto"}),
            "job_title_ar": forms.TextInput(attrs={"dir": "rtl"}),
            "job_title_en": forms.TextInput(attrs={"dir": "ltr"}),
            "email": forms.EmailInput(attrs={"dir": "ltr"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left out of a post (an older page, a script), the choice is kept.
        self.fields["digest_hours"].required = False

    def clean_digest_hours(self):
        value = self.cleaned_data.get("digest_hours")
        return self.instance.digest_hours if value in (None, "") else value


class AvatarForm(Form):
    photo = forms.FileField(
        label=_("New photo"), required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("JPEG, PNG or WebP, 5 MB at most. It is cut to a square around its centre."),
    )


class DirectorySearchForm(Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    directorate = forms.ModelChoiceField(
        label=_("Directorate"),
        queryset=Directorate.objects.all(),
        required=False,
        empty_label=_("All directorates"),
    )
    title = forms.CharField(label=_("Job title"), required=False, max_length=100)


class AuditFilterForm(Form):
    user = forms.CharField(label=pgettext_lazy("audit", "User"), required=False, max_length=150)
    action = forms.ChoiceField(label=pgettext_lazy("audit", "Action"), required=False)
    date_from = forms.DateField(
        label=pgettext_lazy("audit", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("audit", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    obj = forms.CharField(
        label=pgettext_lazy("audit", "Object"),
        required=False,
        max_length=200,
        help_text=_("A name, an id, a type such as files.file, or both: files.file:12"),
    )

    def __init__(self, *args, **kwargs):
        from .models import AuditEntry

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditEntry.Action.choices]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
