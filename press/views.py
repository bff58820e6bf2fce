"""The press space's pages: thin views over press.services and press.selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from collab.middleware import checks_text_itself
from files.views import serve_version

from . import forms, policies, selectors, services
from .models import Company

LOGIN_URL = reverse_lazy("press:login")


def _member_required(view):
    """A signed-in external account acting for a company; others go to the press sign-in."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{LOGIN_URL}?next={request.path}")
        if policies.membership(request.user) is None:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _representative_required(view):
    """Members, journalists and the vault: the company's representatives only
    (a filer gets the same 404 as for something that does not exist)."""

    @_member_required
    def wrapped(request, *args, **kwargs):
        if not policies.can_manage_company(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _context(request, **extra):
    return {"press_member": policies.membership(request.user), **extra}


def _form_errors_from(error: services.PressError, form) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


# ---- Public entry ----------------------------------------------------------------------------


def home(request):
    """The public landing page: the services at launch, registration and sign-in."""
    return render(request, "press/home.html", _context(request))


@checks_text_itself
def register(request):
    if request.user.is_authenticated and policies.membership(request.user) is not None:
        return redirect("press:company")
    form = forms.CompanyRegistrationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.register_company(data, statutes=data["statutes"],
                                      rc_extract=data["rc_extract"])
        except services.PressError as error:
            _form_errors_from(error, form)
        else:
            return redirect("press:registered")
    return render(request, "press/register.html", _context(request, form=form),
                  status=400 if form.errors else 200)


def registered(request):
    return render(request, "press/registered.html", _context(request))


def verify_email(request, token):
    user = services.verify_email(token)
    return render(request, "press/email_verified.html", _context(request, verified=user),
                  status=200 if user is not None else 400)


class PressLoginView(auth_views.LoginView):
    template_name = "press/login.html"
    authentication_form = forms.PressLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("press:company")

    def get_default_redirect_url(self):
        return str(reverse_lazy("press:company"))


login = checks_text_itself(PressLoginView.as_view())

password_reset = checks_text_itself(auth_views.PasswordResetView.as_view(
    form_class=forms.PressPasswordResetForm,
    template_name="press/password_reset_form.html",
    email_template_name="press/email/password_reset.txt",
    subject_template_name="press/email/password_reset_subject.txt",
    success_url=reverse_lazy("press:password_reset_done"),
))
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="press/password_reset_done.html")
password_reset_confirm = checks_text_itself(auth_views.PasswordResetConfirmView.as_view(
    form_class=forms.PressSetPasswordForm,
    template_name="press/password_reset_confirm.html",
    success_url=reverse_lazy("press:password_reset_complete"),
))
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="press/password_reset_complete.html")


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invitation link: the invited colleague sets a password and joins the company."""

    form_class = forms.PressSetPasswordForm
    template_name = "press/accept_invitation.html"
    success_url = reverse_lazy("press:login")
    reset_url_token = "set-password"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_external else None

    def form_valid(self, form):
        response = super().form_valid(form)
        services.accept_invitation(form.user)
        messages.success(self.request, _("Your password is set. Sign in to continue."))
        return response


accept_invitation = checks_text_itself(AcceptInvitationView.as_view())


# ---- The company -------------------------------------------------------------------------------


@checks_text_itself
@_member_required
def company(request):
    """The company's page: its details and where its verification stands."""
    member = policies.membership(request.user)
    the_company = member.company
    verification = services.verification_request(the_company)
    form = None
    if (verification is not None and verification.stage == "returned"
            and member.is_representative):
        form = forms.VerificationCorrectionForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.resubmit_verification(
                    request.user, the_company, comment=form.cleaned_data["comment"] or "",
                    statutes=form.cleaned_data["statutes"],
                    rc_extract=form.cleaned_data["rc_extract"])
            except services.PressError as error:
                _form_errors_from(error, form)
            else:
                messages.success(request, _("Your correction was sent to the press office."))
                return redirect("press:company")
    elif request.method == "POST":
        raise Http404
    return render(request, "press/company.html", _context(
        request, company=the_company, verification=verification, form=form,
        publications=the_company.publications.all()),
        status=400 if form is not None and form.errors else 200)


@checks_text_itself
@_representative_required
def company_edit(request):
    the_company = policies.company_of(request.user)
    if the_company.status in (Company.Status.VERIFIED, Company.Status.SUSPENDED):
        raise Http404
    form = forms.CompanyDetailsForm(request.POST or None, instance=the_company)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_company(the_company, form)
        except services.PressError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("The company's details were saved."))
            return redirect("press:company")
    return render(request, "press/company_edit.html", _context(
        request, company=the_company, form=form), status=400 if form.errors else 200)


# ---- Members -----------------------------------------------------------------------------------


@checks_text_itself
@_representative_required
def members(request):
    the_company = policies.company_of(request.user)
    form = forms.InviteMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_member(the_company, request.user, **form.cleaned_data)
        except services.PressError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("The invitation was sent."))
            return redirect("press:members")
    return render(request, "press/members.html", _context(
        request, company=the_company, members=selectors.members_for(the_company), form=form),
        status=400 if form.errors else 200)


@require_POST
@_representative_required
def member_remove(request, pk):
    the_company = policies.company_of(request.user)
    member = selectors.company_member(the_company, pk)
    try:
        services.remove_member(the_company, member, request.user)
    except services.PressError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The member was removed."))
    return redirect("press:members")


# ---- Journalists -------------------------------------------------------------------------------


@_representative_required
def journalists(request):
    the_company = policies.company_of(request.user)
    return render(request, "press/journalists.html", _context(
        request, company=the_company, journalists=selectors.journalists_for(the_company)))


@checks_text_itself
@_representative_required
def journalist_edit(request, pk=None):
    the_company = policies.company_of(request.user)
    journalist = selectors.company_journalist(the_company, pk) if pk is not None else None
    form = forms.JournalistForm(request.POST or None, request.FILES or None, instance=journalist)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_journalist(the_company, request.user, data,
                                     photo=data.get("photo_upload"), journalist=journalist)
        except services.PressError as error:
            _form_errors_from(error, form)
            if error.field == "photo":
                form.add_error("photo_upload", error.message)
        else:
            messages.success(request, _("The journalist was saved."))
            return redirect("press:journalists")
    return render(request, "press/journalist_form.html", _context(
        request, company=the_company, journalist=journalist, form=form),
        status=400 if form.errors else 200)


@login_required(login_url=LOGIN_URL)
def journalist_photo(request, pk):
    if policies.is_external(request.user):
        journalist = selectors.company_journalist(policies.company_of(request.user), pk)
    elif policies.is_press_officer(request.user):
        journalist = selectors.any_journalist(pk)
    else:
        raise Http404
    if journalist.photo is None:
        raise Http404
    return serve_version(request, journalist.photo.current_version, inline=True)


# ---- The vault ---------------------------------------------------------------------------------


@checks_text_itself
@_representative_required
def vault(request):
    the_company = policies.company_of(request.user)
    form = forms.VaultDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_vault_document(the_company, request.user, kind=data["kind"],
                                        upload=data["file"], issued_on=data["issued_on"],
                                        expires_on=data["expires_on"])
        except services.PressError as error:
            _form_errors_from(error, form)
        else:
            messages.success(request, _("The document was added to the vault."))
            return redirect("press:vault")
    documents = [(document, selectors.expiry_state(document))
                 for document in selectors.vault_documents_for(the_company)]
    return render(request, "press/vault.html", _context(
        request, company=the_company, documents=documents, form=form),
        status=400 if form.errors else 200)


@login_required(login_url=LOGIN_URL)
def vault_download(request, pk):
    if policies.is_external(request.user):
        document = selectors.company_document(policies.company_of(request.user), pk)
    elif policies.is_press_officer(request.user):
        document = selectors.any_company_document(pk)
    else:
        raise Http404
    return serve_version(request, document.file.current_version)


@require_POST
@_representative_required
def vault_delete(request, pk):
    document = selectors.company_document(policies.company_of(request.user), pk)
    services.delete_vault_document(document)
    messages.success(request, _("The document was removed from the vault."))
    return redirect("press:vault")
