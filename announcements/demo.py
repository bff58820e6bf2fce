"""A first announcement for the demo ministry (`manage.py seed_demo`)."""

from __future__ import annotations

from collab.models import User

from . import services
from .models import Announcement


def seed_announcements_demo() -> int:
    """The communication officer welcomes all staff: one pinned announcement."""
    officer = User.objects.filter(role=User.Role.COMMUNICATION_OFFICER).first()
    if officer is None:
        return 0
    services.save_announcement(
        officer,
        services.AnnouncementInput(
            title_ar="مرحبا بكم في الشبكة الداخلية للوزارة",
            title_fr="Bienvenue sur l'intranet du ministère",
            body_ar="<p>تجدون هنا المحادثات والملفات المشتركة والإعلانات والطلبات الإدارية."
                    " نرحب بملاحظاتكم عبر قناة مديريتكم.</p>",
            body_fr="<p>Vous trouverez ici les conversations, les fichiers partagés, les "
                    "annonces et les demandes administratives. Vos remarques sont les "
                    "bienvenues dans le canal de votre direction.</p>",
            category=Announcement.Category.NEWS,
            to_all_staff=True,
            pinned=True,
        ),
        services.PUBLISH,
    )
    return 1
