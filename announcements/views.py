"""Thin views: parse, check permission, call one service or selector, render."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collab import audit, exports
from collab.middleware import checks_text_itself
from files.views import serve_version

from . import policies, selectors, services
from .forms import AnnouncementForm, FeedFilterForm, ImageForm
from .models import Announcement

PAGE_SIZE = 10


def forbidden(request, message: str | None = None):
    return render(
        request,
        "announcements/forbidden.html",
        {"message": message or _("You may not publish announcements.")},
        status=403,
    )


def _filters(request):
    form = FeedFilterForm(request.GET or None)
    values = {"text": "", "category": "", "directorate_id": None}
    if form.is_valid():
        values["text"] = form.cleaned_data["q"]
        values["category"] = form.cleaned_data["category"]
        directorate = form.cleaned_data["directorate"]
        values["directorate_id"] = directorate.pk if directorate else None
    return form, values


def _list_page(request, selector, template, title, archive=False):
    form, values = _filters(request)
    page = Paginator(selector(request.user, **values), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "page_title": title,
        "is_archive": archive,
        "can_publish": policies.can_publish(request.user),
        "filtered": any(values.values()),
    }
    if request.htmx and request.htmx.target == "ann-results":
        return render(request, "announcements/partials/results.html", context)
    return render(request, template, context)


@checks_text_itself
@login_required
@require_GET
def feed(request):
    return _list_page(request, selectors.feed, "announcements/feed.html", _("Announcements"))


@checks_text_itself
@login_required
@require_GET
def archive(request):
    return _list_page(
        request, selectors.archive, "announcements/feed.html", _("Announcements archive"), True
    )


@login_required
@require_GET
def mine(request):
    if not policies.can_publish(request.user):
        return forbidden(request)
    page = Paginator(selectors.authored_by(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "announcements/mine.html", {"page": page})


@login_required
@require_GET
def detail(request, pk):
    announcement = selectors.for_reader(request.user, pk)
    receipt = None
    if announcement.state == Announcement.State.PUBLISHED:
        receipt = services.mark_read(request.user, announcement)
    return render(
        request,
        "announcements/detail.html",
        {
            "a": announcement,
            "receipt": receipt,
            "attachments": announcement.attachments.select_related("file__current_version"),
            "can_manage": policies.can_manage(request.user, announcement),
        },
    )


@login_required
@require_POST
def acknowledge(request, pk):
    announcement = selectors.for_reader(request.user, pk)
    try:
        receipt = services.acknowledge(request.user, announcement)
    except ValidationError as exc:
        return HttpResponse(exc.messages[0], status=200)
    if request.htmx:
        return render(
            request, "announcements/partials/ack.html", {"a": announcement, "receipt": receipt}
        )
    return redirect(announcement)


def _editor(request, announcement=None):
    if not policies.can_publish(request.user):
        return forbidden(request)
    if announcement is not None and not policies.can_manage(request.user, announcement):
        return forbidden(request, _("You may not edit this announcement."))
    action = request.POST.get("action", services.DRAFT)
    if request.method == "POST":
        form = AnnouncementForm(request.POST, request.FILES, user=request.user, action=action,
                                announcement=announcement)
        if form.is_valid():
            try:
                saved = services.save_announcement(
                    request.user,
                    form.to_input(),
                    action,
                    announcement=announcement,
                    uploads=form.cleaned_data["attachments"],
                    remove_attachments=form.cleaned_data.get("remove_attachments") or [],
                )
            except PermissionDenied as exc:
                return forbidden(request, str(exc) or None)
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(name if name in form.fields else None, error)
            else:
                done = {
                    services.DRAFT: _("Draft saved. This is the preview."),
                    services.SCHEDULE: _("Announcement scheduled."),
                    services.PUBLISH: _("Announcement published."),
                }
                messages.success(request, done.get(action, ""))
                return redirect(saved)
    else:
        initial = AnnouncementForm.initial_from(announcement) if announcement else {}
        form = AnnouncementForm(initial=initial, user=request.user, announcement=announcement)
    return render(
        request,
        "announcements/form.html",
        {"form": form, "a": announcement, "is_published": announcement is not None
         and announcement.state == Announcement.State.PUBLISHED},
    )


@checks_text_itself
@login_required
def create(request):
    return _editor(request)


@checks_text_itself
@login_required
def edit(request, pk):
    return _editor(request, selectors.for_reader(request.user, pk))


@checks_text_itself
@login_required
@require_POST
def preview(request):
    """The text as readers will see it (sanitised), in the page, for each
    language written. Nothing is saved: the form stays as the author left it."""
    if not policies.can_publish(request.user):
        return forbidden(request)
    form = AnnouncementForm(request.POST, user=request.user)
    form.is_valid()  # the audience may still be missing: the text can be previewed
    try:
        shown = services.preview_announcement(request.user, form.to_input())
    except PermissionDenied:
        return forbidden(request)
    languages = [lang for lang in ("ar", "fr") if shown.title_in(lang) or shown.body_in(lang)]
    views = [
        {"language": lang, "title": shown.title_in(lang), "body": shown.body_in(lang),
         "content_lang": shown.shown_language(lang)}
        for lang in languages
    ]
    return render(request, "announcements/partials/preview.html", {
        "a": shown, "views": views, "published": request.POST.get("published") == "1",
    })


@login_required
@require_POST
def image_upload(request):
    """An image from the editor: JSON with its intranet address, or a clear error."""
    if not policies.can_publish(request.user):
        return JsonResponse({"error": _("You may not publish announcements.")}, status=403)
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        return JsonResponse({"error": _("Choose an image to upload.")}, status=400)
    try:
        image = services.upload_image(request.user, form.cleaned_data["image"])
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"src": image.get_absolute_url(), "alt": form.cleaned_data["alt"]},
                        status=201)


@login_required
@require_GET
def image(request, pk):
    # The announcement's audience (or, before it is saved, its uploader) first,
    # then the files app's rules: never a public store URL.
    return serve_version(request, selectors.image_for(request.user, pk).version, inline=True)


@login_required
@require_POST
def publish(request, pk):
    announcement = selectors.for_reader(request.user, pk)
    try:
        services.publish_now(request.user, announcement)
    except PermissionDenied as exc:
        return forbidden(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Announcement published."))
    return redirect(announcement)


@login_required
@require_POST
def withdraw(request, pk):
    announcement = selectors.for_reader(request.user, pk)
    try:
        services.withdraw(request.user, announcement)
    except PermissionDenied as exc:
        return forbidden(request, str(exc))
    messages.success(request, _("Announcement withdrawn."))
    return redirect(announcement)


def _stats_access(request, pk):
    announcement = selectors.for_reader(request.user, pk)
    if not policies.can_manage(request.user, announcement):
        raise audit.Concealed
    return announcement


@login_required
@require_GET
def stats(request, pk):
    announcement = _stats_access(request, pk)
    context = {"a": announcement, "stats": selectors.receipt_stats(announcement)}
    if request.htmx:
        return render(request, "announcements/partials/stats_panel.html", context)
    return render(request, "announcements/stats.html", context)


@login_required
@require_GET
def stats_csv(request, pk):
    announcement = _stats_access(request, pk)
    people = selectors.receipt_stats(announcement, pending_limit=0)["pending_qs"]
    rows = (
        [person.username, person.display_name, str(person.directorate or ""), person.email]
        for person in people.iterator(chunk_size=500)
    )
    return exports.csv_response(
        f"announcement-{pk}-pending.csv",
        [_("Username"), _("Name"), _("Directorate"), _("Email")],
        rows,
    )


@login_required
@require_GET
def attachment(request, pk, attachment_pk):
    # The audience check (selectors.for_reader) first, then the files app's
    # rules: 404 while being checked or if infected, short-lived URLs on S3.
    item = selectors.attachment_for(request.user, pk, attachment_pk)
    return serve_version(request, item.version)


# ---- JSON API ------------------------------------------------------------


def _json_item(a: Announcement) -> dict:
    return {
        "id": a.pk,
        "title": a.title,
        "body": a.body,
        "category": a.category,
        "priority": a.priority,
        "state": a.state,
        "pinned": a.pinned,
        "published_at": a.published_at.isoformat() if a.published_at else None,
        "expires_at": a.expires_at.isoformat() if a.expires_at else None,
        "updated": a.edited_at is not None,
        "url": a.get_absolute_url(),
    }


@checks_text_itself
def api_announcements(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in first.")}, status=401)
    if request.method == "GET":
        _form, values = _filters(request)
        items = selectors.feed(request.user, **values)[:50]
        return JsonResponse({"announcements": [_json_item(a) for a in items]})
    if request.method != "POST":
        return JsonResponse({"error": _("Method not allowed.")}, status=405)
    if not policies.can_publish(request.user):
        return JsonResponse({"error": _("You may not publish announcements.")}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"error": _("The body must be a JSON object.")}, status=400)
    data = QueryDict(mutable=True)
    for key, value in payload.items():
        if key == "directorates" and isinstance(value, list):
            data.setlist(key, [str(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        elif value is not None:
            data[key] = str(value)
    action = payload.get("action", services.PUBLISH)
    form = AnnouncementForm(data, user=request.user, action=action)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        saved = services.save_announcement(request.user, form.to_input(), action)
    except PermissionDenied as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    saved.refresh_from_db()
    return JsonResponse(_json_item(saved), status=201)


@require_GET
def api_announcement(request, pk):
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in first.")}, status=401)
    try:
        announcement = selectors.for_reader(request.user, pk)
    except Http404:
        return JsonResponse({"error": _("Not found.")}, status=404)
    return JsonResponse(_json_item(announcement))
