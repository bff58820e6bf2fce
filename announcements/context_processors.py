from django.utils.functional import SimpleLazyObject

from . import selectors


def urgent_banners(request):
    """Unacknowledged urgent announcements, shown as banners on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"urgent_announcements": SimpleLazyObject(lambda: selectors.unacknowledged_urgent(user))}
