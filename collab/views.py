from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import documents, selectors, services
from .forms import DirectorySearchForm, ProfileForm
from .health import check_all
from .middleware import checks_text_itself
from .models import User


@login_required
def home(request):
    return render(
        request,
        "collab/home.html",
        {"notifications": selectors.recent_notifications(request.user, 5),
         **selectors.home_sections(request.user)},
    )


@checks_text_itself
@login_required
def directory(request):
    form = DirectorySearchForm(request.GET or None)
    people = selectors.search_staff()
    if form.is_valid():
        directorate = form.cleaned_data["directorate"]
        people = selectors.search_staff(
            form.cleaned_data["q"],
            directorate.pk if directorate else None,
            form.cleaned_data["title"],
        )
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    template = "collab/partials/directory_results.html" if request.htmx else "collab/directory.html"
    return render(request, template, {"form": form, "page": page})


@login_required
def profile(request, username):
    person = get_object_or_404(
        User.objects.select_related("directorate", "manager"), username=username, is_active=True,
        is_external=False,
    )
    return render(request, "collab/profile.html", {"person": person})


@checks_text_itself
@login_required
def profile_edit(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(request.user.preferred_language)
        messages.success(request, _("Your profile was saved."))
        response = redirect("profile", username=request.user.username)
        response.set_cookie("django_language", request.user.preferred_language)
        return response
    return render(request, "collab/profile_edit.html", {"form": form})


@require_POST
def set_language(request):
    """Switch language from the header; remembered on the account when signed in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if language in dict(User.Language.choices):
        if request.user.is_authenticated:
            services.set_preferred_language(request.user, language)
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _notification_panel(request):
    return render(
        request,
        "collab/partials/notification_panel.html",
        {"notifications": selectors.recent_notifications(request.user, 20)},
    )


@login_required
@require_GET
def notification_panel(request):
    return _notification_panel(request)


@login_required
def notification_list(request):
    page = Paginator(request.user.notifications.all(), 30).get_page(request.GET.get("page"))
    return render(request, "collab/notifications.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    services.mark_notifications_read(request.user, [notification.pk])
    notification.refresh_from_db()
    if request.htmx:
        return render(
            request, "collab/partials/notification_item.html", {"notification": notification}
        )
    return redirect(notification.link or "notifications")


@login_required
@require_POST
def notification_read_all(request):
    services.mark_notifications_read(request.user)
    if request.htmx:
        return _notification_panel(request)
    return redirect("notifications")


@require_GET
def healthz(request):
    report = check_all()
    healthy = all(part["ok"] for part in report.values())
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503
    )


@require_GET
def verified_photo(request, code):
    """Public like the verification page it illustrates: the holder's photo of
    an issued document, for whoever holds its code (the code is the secret)."""
    document = documents.find(code[:64])
    if document is None or not document.photo_key or document.kind not in documents.KINDS:
        raise Http404
    response = HttpResponse(documents.photo_bytes(document), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
