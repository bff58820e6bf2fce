from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Directorate, User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "full_name_ar", "email", "job_title",
                  "preferred_language"]
        # Arabic names are typed right to left whatever the page's language.
        widgets = {
            "full_name_ar": forms.TextInput(attrs={"dir": "rtl"}),
            "job_title": forms.TextInput(attrs={"dir": "auto"}),
            "email": forms.EmailInput(attrs={"dir": "ltr"}),
        }


class DirectorySearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    directorate = forms.ModelChoiceField(
        label=_("Directorate"),
        queryset=Directorate.objects.all(),
        required=False,
        empty_label=_("All directorates"),
    )
    title = forms.CharField(label=_("Job title"), required=False, max_length=100)
