"""Two-factor sign-in (django-otp, TOTP): required for some roles, optional for others.

After the password, a session is "verified" once a code from the person's
authenticator app is accepted (django_otp.login). Until then, for a person
with a confirmed device or a role in OTP_REQUIRED_ROLES, every page sends them
to the code page (or, without a device yet, to the page that enrols one).
"""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import Form

DEVICE_NAME = "authenticator"
# Pages an unverified session may still open: the two code pages, sign-out,
# the language switch and assets.
OPEN_PATHS = ("/static/", "/healthz", "/language/", "/logout/", "/login/")


def required_for(user) -> bool:
    # A superuser counts as an administrator (as User.is_administrator says).
    role = "administrator" if user.is_superuser else user.role
    return role in settings.OTP_REQUIRED_ROLES


def confirmed_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_device(user) -> TOTPDevice:
    """The not-yet-confirmed device being enrolled (one per person, reused on reload)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def session_needs_code(user, session, has_confirmed_device: bool | None = None) -> bool:
    """For sockets, which OTPMiddleware never sees: the page check, read from the session.

    ``has_confirmed_device``, when the caller already read it with the user
    (collab.socket_auth.quick_login), saves the query."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    # The role first: it needs no query. Then whether any confirmed device
    # exists (every socket handshake asks: no row read, no ordering).
    if has_confirmed_device is None and not required_for(user):
        has_confirmed_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
    if not required_for(user) and not has_confirmed_device:
        return False
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is None or device.user_id != user.pk or not device.confirmed


def secret_of(device: TOTPDevice) -> str:
    return b32encode(unhexlify(device.key)).decode()


class TokenForm(Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "dir": "ltr", "autofocus": True}),
    )

    def __init__(self, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_token(self):
        token = "".join(self.cleaned_data["token"].split())
        if not (token.isdigit() and self.device.verify_token(token)):
            raise forms.ValidationError(
                _("This code is not valid. Enter the current code shown by your app."),
                code="invalid_token")
        return token


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("home")


@login_required
def verify(request):
    device = confirmed_device(request.user)
    if device is None:
        return redirect("otp_setup")
    form = TokenForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        return redirect(_next(request))
    return render(request, "collab/otp_verify.html", {"form": form, "next": _next(request)})


@login_required
def setup(request):
    if confirmed_device(request.user) is not None and not request.user.is_verified():
        return redirect("otp_verify")
    device = pending_device(request.user)
    form = TokenForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Confirmed only once a code from the app proves it holds the secret.
        TOTPDevice.objects.devices_for_user(request.user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        return redirect(_next(request))
    return render(request, "collab/otp_setup.html", {
        "form": form, "secret": secret_of(device), "config_url": device.config_url,
        "required": required_for(request.user), "next": _next(request),
    })


class RequireVerifiedMiddleware:
    """After django_otp's OTPMiddleware: unverified sessions that need a code get the code page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (user.is_authenticated and not user.is_verified()
                and not request.path.startswith(OPEN_PATHS)
                and request.path not in (reverse("otp_verify"), reverse("otp_setup"))):
            # Whether one exists: no row to read.
            has_device = TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
            if has_device or required_for(user):
                target = "otp_verify" if has_device else "otp_setup"
                return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)
