"""A first conversation for the demo ministry (`manage.py seed_demo`)."""

from __future__ import annotations

from collab.models import Directorate, User

from . import services

# (author's username, text): Arabic and French side by side, as in the ministry.
DSI_THREAD = [
    ("dsi.directeur", "صباح الخير، اجتماع التنسيق الأسبوعي غدا على الساعة العاشرة."),
    ("dsi.agent1", "Bien reçu. Je prépare le point sur la migration de la messagerie."),
    ("dsi.agent2", "سأحضر **تقرير الحوادث** لهذا الأسبوع."),
    ("dsi.directeur", "Merci à tous. @dsi.agent3 peux-tu réserver la salle ?"),
]


def seed_chat_demo() -> int:
    """A few messages in the information systems directorate's channel."""
    directorate = Directorate.objects.filter(code="dsi").first()
    if directorate is None:
        return 0
    channel = services.ensure_directorate_channel(directorate)
    sent = 0
    for username, text in DSI_THREAD:
        author = User.objects.filter(username=username).first()
        if author is not None:
            services.send_message(author, channel.pk, text)
            sent += 1
    return sent
