"""Thin views: parse, check permission (selectors), call one service, render."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from collab import audit
from collab.middleware import checks_text_itself
from collab.models import Directorate

from . import selectors, services, storage
from .forms import FileSearchForm, ShareForm
from .models import FileVersion, Share
from .naming import content_disposition, is_previewable

PAGE_SIZE = 20


def _listing(request, files, template, extra):
    form = FileSearchForm(request.GET or None)
    if form.is_valid():
        files = selectors.filter_files(
            files, form.cleaned_data["q"], form.cleaned_data["kind"], form.cleaned_data["sort"]
        )
    else:
        files = selectors.filter_files(files)
    page = Paginator(files, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, **extra}
    if request.htmx and request.htmx.target == "file-results":
        return render(request, "files/partials/file_list.html", context)
    return render(request, template, context)


@checks_text_itself
@login_required
@require_GET
def my_files(request):
    used, limit, _remaining = services.quota_status(request.user)
    return _listing(
        request,
        selectors.owned_by(request.user),
        "files/my_files.html",
        {
            "section": "mine",
            "used": used,
            "quota": settings.FILES_USER_QUOTA,
            "max_size": settings.FILES_MAX_SIZE,
            "limit": limit,
        },
    )


@checks_text_itself
@login_required
@require_GET
def shared_with_me(request):
    return _listing(
        request,
        selectors.shared_with(request.user),
        "files/shared.html",
        {"section": "shared", "shared": True},
    )


@checks_text_itself
@login_required
@require_GET
def directorate_files(request, pk=None):
    pk = pk or request.user.directorate_id
    if pk is None:
        raise Http404
    directorate = get_object_or_404(Directorate, pk=pk)
    if directorate.pk != request.user.directorate_id and not request.user.is_administrator:
        raise Http404
    return _listing(
        request,
        selectors.directorate_files(directorate.pk),
        "files/directorate.html",
        {"section": "directorate", "directorate": directorate, "shared": True},
    )


@login_required
def detail(request, pk):
    file = selectors.visible_file(request.user, pk)
    is_owner = file.owner_id == request.user.pk
    form = ShareForm(owner=request.user) if is_owner else None
    return render(
        request,
        "files/detail.html",
        {
            "file": file,
            "is_owner": is_owner,
            "versions": selectors.versions_for(request.user, file),
            "shares": _named_shares(file, form.conversation_titles) if is_owner else [],
            "form": form,
            "shareable": is_owner and selectors.latest_available_version(file) is not None,
            "preview_version": _preview_version(request.user, file),
        },
    )


def _named_shares(file, titles: dict[int, str]) -> list:
    """The file's shares, conversations named as the owner sees them."""
    shares = list(selectors.active_shares_of(file))
    for share in shares:
        share.conversation_title = titles.get(share.conversation_id, "")
    return shares


def _preview_version(user, file):
    try:
        _, version = selectors.version_for_download(user, file.pk, None)
    except Http404:
        return None
    return version if is_previewable(version.content_type) else None


@login_required
@require_POST
def share(request, pk):
    file = selectors.owned_file(request.user, pk)
    form = ShareForm(request.POST, owner=request.user)
    if form.is_valid():
        try:
            people = services.share_with_users(file, form.cleaned_data["users"], request.user)
            units = services.share_with_directorates(
                file, form.cleaned_data["directorates"], request.user
            )
            chats = [
                services.share_with_conversation(file, conversation, request.user)
                for conversation in form.cleaned_data["conversations"]
            ]
            shared = len(people) + len(units) + len(chats)
            messages.success(
                request,
                ngettext("Shared with %(n)d recipient.", "Shared with %(n)d recipients.", shared)
                % {"n": shared},
            )
        except services.ShareRefused as exc:
            messages.error(request, exc.message)
    else:
        # Every refusal is said: a person or directorate that cannot be chosen
        # (unknown, deactivated since the page was loaded) included.
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            for error in errors:
                messages.error(request, _("%(field)s: %(error)s") % {"field": label, "error": error}
                               if label else error)
    return redirect("files:detail", pk=file.pk)


@login_required
@require_POST
def share_conversation(request, pk):
    """Share with a chat conversation (the conversation page calls this after
    an upload): JSON, 200 with a translated error when refused."""
    file = selectors.owned_file(request.user, pk)
    try:
        services.share_with_conversation(file, request.POST.get("conversation"), request.user)
    except services.ShareRefused as exc:
        return JsonResponse({"ok": False, "error": exc.message})
    return JsonResponse({"ok": True})


@login_required
@require_POST
def revoke(request, pk, share_pk):
    file = selectors.owned_file(request.user, pk)
    share_obj = get_object_or_404(Share, pk=share_pk, file=file)
    services.revoke_share(share_obj, request.user)
    messages.success(request, _("The share was revoked."))
    return redirect("files:detail", pk=file.pk)


@login_required
@require_POST
def delete(request, pk):
    file = selectors.owned_file(request.user, pk)
    name = file.name
    services.delete_file(file, request.user)
    messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
    return redirect("files:mine")


# ---- Downloads -------------------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _serve(request, pk, inline_wanted: bool):
    number = request.GET.get("v")
    number = int(number) if number and number.isdigit() else None
    file, version = selectors.version_for_download(request.user, pk, number)
    return _send(request, file, version, inline_wanted)


def serve_version(request, version: FileVersion | None, *, inline: bool = False):
    """Serve an attachment for another app's view, called AFTER that view has
    checked its own permission (the deciders of a request, the audience of an
    announcement). The files app's rules still hold: 404 while the version is
    being checked for anyone but its owner, 404 for everyone once infected.
    Streamed from either store, Range-aware, with headers that keep it inert."""
    version = selectors.attachment_version_for(request.user, version)
    return _send(request, version.file, version, inline)


def _send(request, file, version, inline_wanted: bool):
    # HTML and SVG (and anything not in the safe list) are never rendered inline.
    inline = inline_wanted and is_previewable(version.content_type)
    if _starts_a_read(request):
        audit.record(
            audit.Action.DOWNLOAD, request=request, obj=file,
            detail={"version": version.number, "inline": inline},
        )
    content_type = version.content_type if inline else _download_type(version)
    # Both stores stream through here rather than redirect to the object
    # store: a signed URL can set the type and the disposition of its answer
    # but not nosniff or a CSP, and the store need not be reachable by browsers.
    return _stream(request, storage.get_file_store(), file, version, content_type, inline)


def _starts_a_read(request) -> bool:
    # Players and PDF viewers fetch a file in ranges: the read that starts at
    # the first byte is the download; later ranges (or the tail) continue it.
    match = _RANGE.match(request.headers.get("Range", "").strip())
    return match is None or match.group(1) == "0"


def _download_type(version: FileVersion) -> str:
    # Markup is sent as an opaque download: never as text/html or image/svg+xml.
    if version.content_type in {"text/html", "image/svg+xml", "application/xml"}:
        return "application/octet-stream"
    return version.content_type


def _as_served(request, chunks):
    """The store's chunks as the server reads them without holding them all.

    Django's ASGI handler reads a synchronous iterator to the end, into
    memory, before it sends a byte (a 100 MiB download took the server's RSS
    from 130 to 232 MiB): under ASGI the chunks are handed over one at a time
    from a worker thread instead. Under WSGI (the test client) they stay as
    they are."""
    from django.core.handlers.asgi import ASGIRequest

    if not isinstance(request, ASGIRequest):
        return chunks

    async def one_by_one():
        from asgiref.sync import sync_to_async

        take = sync_to_async(next, thread_sensitive=False)
        try:
            while (chunk := await take(chunks, None)) is not None:
                yield chunk
        finally:
            try:
                chunks.close()  # the store's response goes back to its pool
            except ValueError:  # still running in its thread (client gone): closed when freed
                pass

    return one_by_one()


def _stream(request, store, file, version, content_type, inline):
    size = version.size
    start, end, status = 0, size - 1, 200
    # Content-addressed: the hash is a strong validator of these exact bytes.
    etag = f'"{version.sha256}"'
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range is not None and if_range.strip() != etag:
        header = ""  # the client's copy is another one: the whole file, not a piece
    match = _RANGE.match(header.strip()) if header else None
    if header and match and (match.group(1) or match.group(2)):
        first, last = match.groups()
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        else:  # suffix range: the last N bytes
            start = max(0, size - int(last))
        if start >= size or start > end:
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    try:
        chunks = store.open(version.blob_key, offset=start, length=end - start + 1)
    except storage.StoreError:
        raise Http404 from None
    response = StreamingHttpResponse(
        _as_served(request, chunks), status=status, content_type=content_type
    )
    response["Content-Length"] = str(end - start + 1)
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = content_disposition(file.name, inline)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if content_type != "application/pdf":  # the browser's PDF viewer needs to run
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
@require_GET
def thumbnail(request, pk):
    number = request.GET.get("v")
    number = int(number) if number and number.isdigit() else None
    file, version = selectors.version_for_download(request.user, pk, number)
    if not version.thumbnail_key:
        raise Http404
    try:
        chunks = storage.get_file_store().open(version.thumbnail_key)
    except storage.StoreError:
        raise Http404 from None
    response = StreamingHttpResponse(_as_served(request, chunks), content_type="image/webp")
    response["Content-Disposition"] = content_disposition("thumbnail.webp", True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_GET
def download(request, pk):
    return _serve(request, pk, inline_wanted=False)


@xframe_options_sameorigin  # PDFs preview in an iframe on the file's page
@login_required
@require_GET
def preview(request, pk):
    return _serve(request, pk, inline_wanted=True)
