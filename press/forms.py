"""Forms of the press space: server-side checks, errors beside the field."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from collab.forms import CheckedTextMixin, Form, LoginForm, ModelForm
from collab.models import User

from .models import Company, CompanyDocument, CompanyMember, Journalist, normalise_phone

ACCEPT_DOCUMENTS = "application/pdf,image/jpeg,image/png"
ACCEPT_PHOTO = "image/jpeg,image/png"


def _rtl(field):
    # Arabic names are typed right to left whatever the page's language.
    field.widget.attrs["dir"] = "rtl"
    return field


class CompanyRegistrationForm(ModelForm):
    """A company, its publications, its representative's account and the two
    documents its verification needs."""

    publications = forms.CharField(
        label=_("Publication titles"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One title per line."))
    full_name = forms.CharField(label=_("Your full name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    password1 = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    statutes = forms.FileField(
        label=_("Statutes"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}),
        help_text=_("PDF, JPEG or PNG, 10 MB at most."))
    rc_extract = forms.FileField(
        label=_("Trade register (RC) extract"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}),
        help_text=_("PDF, JPEG or PNG, 10 MB at most."))

    class Meta:
        model = Company
        fields = ["name_ar", "name_latin", "legal_form", "rc_number", "ice", "tax_id",
                  "cnss_number", "medium", "address", "city", "region",
                  "legal_representative", "email", "phone", "language"]
        widgets = {
            "ice": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 15,
                                          "pattern": "[0-9]{15}", "autocomplete": "off"}),
            "tax_id": forms.TextInput(attrs={"inputmode": "numeric"}),
            "cnss_number": forms.TextInput(attrs={"inputmode": "numeric"}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                            "autocomplete": "tel", "placeholder": "+212 6…"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        labels = {"email": _("E-mail (your sign-in)"),
                  "language": _("Language of the messages we send you")}

    field_order = ["name_ar", "name_latin", "legal_form", "rc_number", "ice", "tax_id",
                   "cnss_number", "medium", "publications", "address", "city", "region",
                   "legal_representative", "full_name", "email", "phone", "language",
                   "password1", "password2", "statutes", "rc_extract"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _rtl(self.fields["name_ar"])
        self.fields["language"].choices = settings.LANGUAGES
        # Typed with spaces or 00212 ("06 12 34 56 78"): longer than the
        # stored +212 form, which the model's validator checks after clean_phone.
        phone = self.fields["phone"]
        phone.max_length = 25
        phone.validators = [v for v in phone.validators
                            if not isinstance(v, MaxLengthValidator)]
        phone.widget.attrs["maxlength"] = 25

    def clean_phone(self):
        # Normalised before the model's validator sees it: "06 12 34 56 78" is fine.
        return normalise_phone(self.cleaned_data.get("phone", ""))

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(username__iexact=email).exists() or User.objects.filter(
                email__iexact=email, is_external=True).exists():
            raise ValidationError(
                _("An account with this e-mail address already exists. Sign in, or reset "
                  "your password."), code="taken")
        return email

    def clean_publications(self):
        titles = []
        for line in self.cleaned_data["publications"].splitlines():
            title = " ".join(line.split())
            if title and title.casefold() not in {t.casefold() for t in titles}:
                if len(title) > 200:
                    raise ValidationError(_("A title has at most 200 characters."))
                titles.append(title)
        if not titles:
            raise ValidationError(_("Name at least one publication."))
        return titles

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            candidate = User(username=(cleaned.get("email") or "").lower(),
                             email=cleaned.get("email") or "",
                             first_name=cleaned.get("full_name") or "")
            try:
                password_validation.validate_password(first, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class CompanyDetailsForm(ModelForm):
    """What the representative may correct until the press office verified the company."""

    class Meta:
        model = Company
        fields = ["name_ar", "name_latin", "legal_form", "rc_number", "ice", "tax_id",
                  "cnss_number", "medium", "address", "city", "region",
                  "legal_representative", "email", "phone", "language"]
        widgets = CompanyRegistrationForm.Meta.widgets

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _rtl(self.fields["name_ar"])
        self.fields["language"].choices = settings.LANGUAGES
        phone = self.fields["phone"]
        phone.validators = [v for v in phone.validators
                            if not isinstance(v, MaxLengthValidator)]
        phone.widget.attrs["maxlength"] = 25

    def clean_phone(self):
        return normalise_phone(self.cleaned_data.get("phone", ""))


class PressLoginForm(LoginForm):
    """Sign-in for companies' accounts (django-axes throttles it like the intranet's)."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            username = (self.cleaned_data.get("username") or "").strip()
            password = self.cleaned_data.get("password") or ""
            waiting = User.objects.filter(username__iexact=username, is_external=True,
                                          is_active=False).first()
            if waiting is not None and waiting.has_usable_password() and \
                    waiting.check_password(password):
                # A fresh link (the first may be lost or too old); axes
                # throttles these attempts like any other sign-in.
                from .services import send_verification_email

                send_verification_email(waiting)
                raise ValidationError(
                    _("Confirm your e-mail address first: we sent you a new link."),
                    code="unconfirmed") from None
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_external:
            raise ValidationError(
                _("This sign-in is for press companies. Ministry staff sign in on the intranet."),
                code="staff")


class PressPasswordResetForm(CheckedTextMixin, auth_forms.PasswordResetForm):
    def get_users(self, email):
        # Only companies' accounts: staff reset their password on the intranet.
        return (user for user in super().get_users(email) if user.is_external)

    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):
        from django.utils import translation

        # In the account's own language, whatever the page's.
        with translation.override(context["user"].preferred_language):
            super().send_mail(subject_template_name, email_template_name, context, from_email,
                              to_email, html_email_template_name)


class PressSetPasswordForm(CheckedTextMixin, auth_forms.SetPasswordForm):
    pass


class VerificationCorrectionForm(Form):
    comment = forms.CharField(label=_("Your answer"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    statutes = forms.FileField(
        label=_("Statutes"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}))
    rc_extract = forms.FileField(
        label=_("Trade register (RC) extract"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}))


class InviteMemberForm(Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=CompanyMember.Role.choices,
                             initial=CompanyMember.Role.FILER)


class JournalistForm(ModelForm):
    photo_upload = forms.FileField(
        label=_("Photo"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_PHOTO}),
        help_text=_("JPEG or PNG, 5 MB at most."))

    class Meta:
        model = Journalist
        fields = ["name_ar", "name_latin", "cin", "position", "hire_date", "cnss_number",
                  "active"]
        widgets = {
            "hire_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "cin": forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
            "cnss_number": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _rtl(self.fields["name_ar"])
        # Typed with a space or in lower case ("ab 123456"): clean_cin tidies
        # it before the model's validator checks the stored form.
        cin = self.fields["cin"]
        cin.validators = [v for v in cin.validators if not isinstance(v, MaxLengthValidator)]
        cin.widget.attrs["maxlength"] = 12

    def clean_cin(self):
        return (self.cleaned_data.get("cin") or "").replace(" ", "").upper()

    def validate_unique(self):
        # The company is not a field of the form: services.save_journalist
        # checks the CIN within the company and reports it beside the field.
        pass


class VaultDocumentForm(Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CompanyDocument.Kind.choices)
    file = forms.FileField(label=_("File"),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_DOCUMENTS}),
                           help_text=_("PDF, JPEG or PNG, 10 MB at most."))
    issued_on = forms.DateField(label=_("Issued on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        issued, expires = cleaned.get("issued_on"), cleaned.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", _("The expiry date comes after the issue date."))
        return cleaned
