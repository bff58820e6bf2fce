"""HTTP edges of the chat: pages, htmx fragments, and the POST fallback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from collab.middleware import checks_text_itself
from collab.models import User
from collab.templatetags.avatars import avatar_html
from collab.text import http_text_problem

from . import live, selectors, services
from .models import MAX_MESSAGE_LENGTH, REACTIONS
from .services import ChatError
from .text import excerpt, highlight


def _membership_or_404(request, pk):
    try:
        return services.membership_of(request.user, pk)
    except ChatError:
        raise Http404 from None


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _form_text(value: str) -> str:
    """A form field's text. Over HTTP, U+FFFD marks bytes that were not UTF-8:
    refused here; the service refuses the rest, socket and HTTP alike."""
    if problem := http_text_problem(value):
        raise ChatError("bad_text", problem)
    return value


def _colleague_ids(request, text: str) -> list[int] | None:
    """The ids of the colleagues named in ``text``; None (and a message saying
    which names are wrong) if any name matches no active colleague."""
    names = [n.strip().lstrip("@") for n in text.replace(",", " ").replace("،", " ").split()
             if n.strip()]
    for name in names:
        if problem := http_text_problem(name):
            messages.error(request, _("Members: %(problem)s") % {"problem": problem})
            return None
    ids, unknown = selectors.colleagues_by_username(names)
    if unknown:
        messages.error(request, _(
            "These user names match no active colleague: %(names)s. Nothing was changed."
        ) % {"names": ", ".join(unknown)})
        return None
    return ids


def _members(request) -> str:
    """The user names posted: one per chip of the people picker, or typed
    in one field separated by spaces or commas (the picker without script)."""
    return " ".join(request.POST.getlist("members"))


@login_required
@require_GET
def index(request):
    items = selectors.conversations_for(request.user)
    if request.GET.get("part") == "sidebar":
        # Refreshed by chat.js after a reconnect: counts may have moved meanwhile.
        active = _int(request.GET.get("active"))
        return render(
            request, "chat/partials/conversation_list.html", {"items": items, "active_id": active}
        )
    return render(request, "chat/index.html", {"items": items})


@login_required
@require_GET
def conversation(request, pk):
    membership = _membership_or_404(request, pk)
    conv = membership.conversation
    around = _int(request.GET.get("around"))
    if around:
        page = selectors.around(conv, around)
        older = page[0].seq if page and page[0].seq > 1 else None
    else:
        page, older = selectors.history(conv)
    member_rows = selectors.members(conv)
    items = selectors.conversations_for(request.user)
    item = next((i for i in items if i.pk == conv.pk), None) or selectors.describe(membership)
    is_creator = conv.created_by_id == request.user.pk
    remove_url = ""
    if is_creator and conv.kind == conv.Kind.GROUP:
        # The members' Remove buttons: one reverse() for the list, not one per member.
        sample = reverse("chat:remove", args=[conv.pk, 0])
        remove_url = sample[: sample.rindex("/0/") + 1]
    context = {
        "items": items,
        "item": item,
        "conversation": conv,
        "membership": membership,
        "page": page,
        "older": older,
        "last_read_seq": membership.last_read_seq,
        "members": member_rows,
        "pins": selectors.pinned(conv),
        "can_post": services.can_post(request.user, conv),
        "max_length": MAX_MESSAGE_LENGTH,
        "emoji_set": REACTIONS,
        "is_creator": is_creator,
        "remove_url": remove_url,
        "remove_label": _("Remove"),
        "presence": live.presence_of(sorted(selectors.presence_visible(
            request.user, [m.user_id for m in member_rows]))),
        # Read positions for "seen by" (direct messages and groups).
        "member_reads": {
            str(m.user_id): {"seq": m.last_read_seq, "name": m.user.display_name}
            for m in member_rows
        } if conv.is_private else {},
    }
    return render(request, "chat/conversation.html", context)


@login_required
@require_GET
def history(request, pk):
    membership = _membership_or_404(request, pk)
    before = _int(request.GET.get("before"))
    # limit=1: the client loads one message too large for a socket frame.
    limit = min(max(_int(request.GET.get("limit"), selectors.PAGE_SIZE), 1), selectors.PAGE_SIZE)
    page, older = selectors.history(membership.conversation, before, limit)
    return render(
        request,
        "chat/partials/history_page.html",
        {"page": page, "older": older, "conversation": membership.conversation,
         "emoji_set": REACTIONS, "last_read_seq": None},
    )


@checks_text_itself
@login_required
@require_POST
def send(request, pk):
    """Fallback when the socket is down: the same service, then the fragment."""
    _membership_or_404(request, pk)
    reply_to = _int(request.POST.get("reply_to"))
    try:
        message = services.send_message(
            request.user, pk, _form_text(request.POST.get("body", "")), reply_to or None,
            client_id=request.POST.get("client_id") or None,
        )
    except ChatError as exc:
        if request.htmx:
            return render(request, "chat/partials/composer_error.html", {"error": exc.message})
        messages.error(request, exc.message)
        return redirect("chat:conversation", pk=pk)
    if request.htmx:
        return HttpResponse(services.sender_copy(message, translation.get_language()))
    return redirect("chat:conversation", pk=pk)


@login_required
@require_POST
def read(request, pk):
    _membership_or_404(request, pk)
    unread = services.mark_read(request.user, pk, _int(request.POST.get("seq"), 0))
    return HttpResponse(str(unread), content_type="text/plain")


def _manage(request, pk, operation):
    try:
        operation()
    except ChatError as exc:
        messages.error(request, exc.message)
    return redirect("chat:conversation", pk=pk)


@checks_text_itself
@login_required
@require_POST
def group_new(request):
    member_ids = _colleague_ids(request, _members(request))
    if member_ids is None:
        return redirect("chat:index")
    try:
        conv = services.create_group(
            request.user, _form_text(request.POST.get("title", "")), member_ids
        )
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect("chat:index")
    return redirect("chat:conversation", pk=conv.pk)


@checks_text_itself
@login_required
@require_POST
def rename(request, pk):
    _membership_or_404(request, pk)
    title = request.POST.get("title", "")
    return _manage(request, pk, lambda: services.rename(request.user, pk, _form_text(title)))


@checks_text_itself
@login_required
@require_POST
def invite(request, pk):
    _membership_or_404(request, pk)
    ids = _colleague_ids(request, _members(request))
    if ids is None:
        return redirect("chat:conversation", pk=pk)
    return _manage(request, pk, lambda: services.add_members(request.user, pk, ids))


@login_required
@require_POST
def remove(request, pk, user_id):
    _membership_or_404(request, pk)
    return _manage(request, pk, lambda: services.remove_member(request.user, pk, user_id))


@login_required
@require_GET
def mentions(request, pk):
    membership = _membership_or_404(request, pk)
    query = request.GET.get("q", "")[:60]
    people = [] if http_text_problem(query) else selectors.mention_candidates(
        membership.conversation, query)
    for person in people:
        person["avatar"] = avatar_html(person.pop("user"), 24)
    return JsonResponse({"people": people})


@login_required
@require_POST
def mute(request, pk):
    _membership_or_404(request, pk)
    muted = services.set_muted(request.user, pk, request.POST.get("muted") == "1")
    if request.htmx:
        return render(request, "chat/partials/mute_button.html",
                      {"conversation_id": pk, "muted": muted})
    return redirect("chat:conversation", pk=pk)


@login_required
@require_POST
def leave(request, pk):
    _membership_or_404(request, pk)
    try:
        services.leave(request.user, pk)
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect("chat:conversation", pk=pk)
    return redirect("chat:index")


@login_required
@require_POST
def direct(request, username):
    # Staff only: a press company's account is no colleague to write to.
    other = User.objects.filter(username=username, is_active=True, is_external=False).first()
    if other is None:
        messages.error(request, _("No active colleague has the user name “%(name)s”.")
                       % {"name": username})
        return redirect("chat:index")
    try:
        conv = services.start_direct(request.user, other)
    except ChatError as exc:
        messages.error(request, exc.message)
        return redirect(other.get_absolute_url())
    return redirect("chat:conversation", pk=conv.pk)


@checks_text_itself
@login_required
@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    error = http_text_problem(query)
    results = selectors.search(request.user, query) if query and not error else []
    titles = {}
    if results:
        titles = {item.pk: item.title for item in selectors.conversations_for(request.user)}
    rows = [
        {
            "message": m,
            "conversation": titles.get(m.conversation_id, ""),
            "text": mark_safe(highlight(excerpt(m.body, 200), query)),
            "url": reverse("chat:conversation", args=[m.conversation_id])
            + f"?around={m.seq}#msg-{m.conversation_id}-{m.seq}",
        }
        for m in results
    ]
    template = "chat/partials/search_results.html" if request.htmx else "chat/search.html"
    return render(request, template, {"query": "" if error else query, "rows": rows,
                                      "error": error})
