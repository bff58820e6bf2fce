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

from . import documents, policies, selectors, services
from .forms import AvatarForm, DirectorySearchForm, ProfileForm
from .health import check_all
from .middleware import checks_text_itself
from .models import Directorate, User
from .templatetags.avatars import avatar_html


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
    return render(request, "collab/profile_edit.html", {"form": form, "avatar_form": AvatarForm()})


@login_required
@require_POST
def avatar_edit(request):
    """Upload a new photo, or remove it (back to initials)."""
    if "remove" in request.POST:
        services.remove_avatar(request.user)
        messages.success(request, _("Your photo was removed."))
        return redirect("profile_edit")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        photo = form.cleaned_data["photo"]
        if not photo:
            form.add_error("photo", _("Choose a photo to upload."))
        else:
            try:
                services.set_avatar(request.user, photo)
            except services.AvatarRefused as refused:
                form.add_error("photo", refused.message)
            else:
                messages.success(request, _("Your photo was saved."))
                return redirect("profile_edit")
    return render(request, "collab/profile_edit.html",
                  {"form": ProfileForm(instance=request.user), "avatar_form": form})


@login_required
@require_GET
def avatar(request, username, version):
    """A colleague's photo. Its address names its content: cached for good."""
    person = get_object_or_404(User, username=username, is_external=False)
    if not person.avatar_key or not policies.may_see_staff(request.user):
        raise Http404
    response = HttpResponse(services.avatar_bytes(person), content_type="image/webp")
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if version == person.avatar_version
        else "private, no-cache"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


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


def _picker_reply(request, rows):
    response = JsonResponse({"results": rows})
    # Names change and people leave: never served from a cache.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def pick_people(request):
    """Staff matching what was typed in a people picker (see collab/widgets.py)."""
    if not policies.may_see_staff(request.user):
        return _picker_reply(request, [])
    exclude = request.user.pk if request.GET.get("self") == "0" else None
    people = selectors.pick_people(request.GET.get("q", "")[:100], exclude_id=exclude)
    return _picker_reply(request, [
        {"value": p.username, "label": p.display_name,
         "detail": p.directorate.name if p.directorate else p.username,
         "avatar": avatar_html(p, 24)}
        for p in people
    ])


@login_required
@require_GET
def pick_directorates(request):
    """Directorates matching what was typed in a directorate picker, or every
    directorate of a kind (the picker's "all regional directorates" shortcut)."""
    if not policies.may_see_staff(request.user):
        return _picker_reply(request, [])
    kind = request.GET.get("kind", "")
    if kind not in Directorate.Kind.values:
        kind = ""
    rows = selectors.pick_directorates(request.GET.get("q", "")[:100], kind)
    return _picker_reply(request, [
        {"value": str(d.pk), "label": d.name, "detail": d.get_kind_display()} for d in rows
    ])


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
