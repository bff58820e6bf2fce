"""Who may see and do what in the press space.

External accounts (``User.is_external``) act for exactly one company, through
their ``CompanyMember``. Everything a company owns is looked up through the
member's company, so another company's id answers the same 404 as a missing one.
"""

from __future__ import annotations

from django.http import Http404

from .models import Company, CompanyMember


def is_external(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_external", False))


def is_press_officer(user) -> bool:
    from collab.models import User

    return bool(
        getattr(user, "is_authenticated", False)
        and not getattr(user, "is_external", False)
        and user.is_active
        and (user.role == User.Role.PRESS_OFFICER or user.is_superuser)
    )


def membership(user) -> CompanyMember | None:
    """The user's accepted membership, or None (staff, anonymous, pending invitation)."""
    if not is_external(user):
        return None
    cached = getattr(user, "_press_membership_cache", False)
    if cached is not False:
        return cached
    member = (CompanyMember.objects.select_related("company", "company__organisation")
              .filter(user=user, accepted=True).first())
    user._press_membership_cache = member
    return member


def company_of(user) -> Company:
    """The company the signed-in external user acts for; 404 otherwise."""
    member = membership(user)
    if member is None:
        raise Http404
    return member.company


def can_manage_company(user) -> bool:
    """Members, journalists and the vault: the company's representatives only."""
    member = membership(user)
    return member is not None and member.is_representative


def can_file(user) -> bool:
    """Filing a dossier needs a verified company."""
    member = membership(user)
    return member is not None and member.company.is_verified
