from django.conf import settings

from .selectors import last_notification_id, unread_count


def header(request):
    user = getattr(request, "user", None)
    context = {"LANGUAGES_AVAILABLE": settings.LANGUAGES,
               "MINISTRY_EMBLEM": settings.COLLAB_HEADER_EMBLEM}
    if user is not None and user.is_authenticated:
        context["unread_notifications"] = unread_count(user)
        # The socket client resumes from here: nothing created after the page
        # was rendered is missed, nothing before it is shown twice.
        context["last_notification_id"] = last_notification_id(user)
    return context
