"""What waits unread in chat, for the e-mail digest (collab/digests.py)."""

from __future__ import annotations

from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from collab.digests import SHOWN_PER_SECTION, DigestItem, DigestSection

from .models import Conversation, Membership


def mentions(user, cutoff) -> DigestSection | None:
    unread = user.notifications.filter(kind="chat.mention", read_at__isnull=True,
                                       created_at__lte=cutoff)
    items = [
        # In the reader's language now (digest_for sets it), whatever it was then.
        DigestItem(f"{n.shown_title}: {n.shown_body}" if n.shown_body else n.shown_title,
                   n.link or reverse("chat:index"), n.created_at)
        for n in unread.order_by("-created_at", "-pk")[:SHOWN_PER_SECTION]
    ]
    if not items:
        return None
    return DigestSection(_("Mentions"), items, unread.count())


def direct_messages(user, cutoff) -> DigestSection | None:
    waiting = (
        Q(conversation__messages__seq__gt=F("last_read_seq"))
        & Q(conversation__messages__deleted_at__isnull=True)
        & Q(conversation__messages__created_at__lte=cutoff)
        & ~Q(conversation__messages__author=user)
    )
    memberships = list(
        Membership.objects.filter(user=user, conversation__kind=Conversation.Kind.DIRECT,
                                  conversation__last_seq__gt=F("last_read_seq"))
        .annotate(unread=Count("conversation__messages", filter=waiting),
                  latest=Max("conversation__messages__created_at", filter=waiting))
        .filter(unread__gt=0).order_by("-latest")
    )
    if not memberships:
        return None
    others = {
        m.conversation_id: m.user
        for m in Membership.objects.filter(
            conversation_id__in=[m.conversation_id for m in memberships]
        ).exclude(user=user).select_related("user")
    }
    items = []
    for membership in memberships[:SHOWN_PER_SECTION]:
        sender = others.get(membership.conversation_id)
        name = sender.display_name if sender else _("Direct message")
        text = ngettext("%(name)s: %(count)d unread message",
                        "%(name)s: %(count)d unread messages",
                        membership.unread) % {"name": name, "count": membership.unread}
        items.append(DigestItem(text, reverse("chat:conversation",
                                              args=[membership.conversation_id]),
                                membership.latest))
    return DigestSection(_("Direct messages"), items, len(memberships))
