from django.conf import settings

from .selectors import bell


def header(request):
    user = getattr(request, "user", None)
    context = {"LANGUAGES_AVAILABLE": settings.LANGUAGES,
               "MINISTRY_EMBLEM": settings.COLLAB_HEADER_EMBLEM}
    if user is not None and user.is_authenticated:
        # last_notification_id: the socket client resumes from here: nothing
        # created after the page was rendered is missed, nothing before it is
        # shown twice.
        context["unread_notifications"], context["last_notification_id"] = bell(user)
    return context
