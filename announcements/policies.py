"""Who may write announcements, to whom, and who may manage one."""

from __future__ import annotations

from collab.models import User

from .models import Announcement

ROLES_ADDRESSING_ANYONE = {User.Role.COMMUNICATION_OFFICER, User.Role.ADMINISTRATOR}


def addresses_anyone(user: User) -> bool:
    return user.is_active and (user.role in ROLES_ADDRESSING_ANYONE or user.is_superuser)


def can_publish(user: User) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return addresses_anyone(user) or (user.is_manager and user.directorate_id is not None)


def addressable_directorate_ids(user: User) -> set[int] | None:
    """None: anyone (all staff included). Otherwise the directorates the user may address."""
    if addresses_anyone(user):
        return None
    if user.is_manager and user.directorate is not None:
        return user.directorate.descendant_ids()
    return set()


def may_address(user: User, to_all_staff: bool, target_ids: set[int]) -> bool:
    allowed = addressable_directorate_ids(user)
    if allowed is None:
        return True
    return not to_all_staff and bool(target_ids) and target_ids <= allowed


def can_manage(user: User, announcement: Announcement) -> bool:
    """Edit, publish, withdraw, see read counts: the author and administrators."""
    return user.is_active and (announcement.author_id == user.pk or user.is_administrator)
