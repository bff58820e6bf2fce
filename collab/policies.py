"""Who may do what in the core app."""

from __future__ import annotations

from .models import User


def may_see_staff(user: User) -> bool:
    """Search staff and directorates by name (pickers), see colleagues'
    photos. Press companies' accounts have no directory entry and see nobody."""
    return bool(user.is_authenticated and user.is_active and not user.is_external)
