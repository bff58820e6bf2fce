"""The directory's sign-in backend: django-auth-ldap plus what collab keeps of a person.

At each sign-in the directory entry is read again and copied onto the local
user: names, e-mail, job title, employee number (django-auth-ldap's attribute
map), then role, directorate, reporting line and whether the account is
enabled (here). A person disabled in the directory is set inactive, which
closes their open sockets (collab/signals.py) and makes the sign-in form
refuse them. Local accounts (the break-glass administrator) are left to
ModelBackend, after this backend in AUTHENTICATION_BACKENDS.
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings
from django_auth_ldap.backend import LDAPBackend, ldap_error, populate_user

from .models import Directorate, User

logger = logging.getLogger(__name__)

# Active Directory's userAccountControl flag ACCOUNTDISABLE.
AD_ACCOUNT_DISABLED = 0x2
# Errors that mean "no directory to ask", not "wrong password".
UNREACHABLE = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR)


class DirectoryBackend(LDAPBackend):
    def authenticate_ldap_user(self, ldap_user, password):
        user = ldap_user.authenticate(password)
        if user is None:
            deactivate_if_disabled(ldap_user)
        return user


def deactivate_if_disabled(ldap_user) -> None:
    # Active Directory refuses a disabled account's password, so sync never
    # runs for it: the failed attempt still ends the local account (and its
    # sockets) when the directory, read with the service account, says so.
    try:
        if ldap_user.dn is None or not is_disabled(ldap_user):
            return
    except ldap.LDAPError:
        return
    username = _first(ldap_user, settings.COLLAB_LDAP_USERNAME_ATTR)
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if username and user is not None:
        user.is_active = False
        user.save(update_fields=["is_active"])


def _first(ldap_user, attr: str) -> str:
    values = (ldap_user.attrs or {}).get(attr) if attr else None
    return values[0].strip() if values else ""


def _fit(user: User, field: str) -> None:
    # A directory value longer than the column would fail the whole sign-in.
    value = getattr(user, field, None)
    max_length = User._meta.get_field(field).max_length
    if isinstance(value, str) and max_length and len(value) > max_length:
        setattr(user, field, value[:max_length])


def is_disabled(ldap_user) -> bool:
    control = _first(ldap_user, "userAccountControl")
    if control.isdigit() and int(control) & AD_ACCOUNT_DISABLED:
        return True
    group = getattr(settings, "COLLAB_LDAP_DISABLED_GROUP", "")
    return bool(group) and group.lower() in ldap_user.group_dns


def _role(ldap_user) -> str | None:
    from .directory_config import role_for

    return role_for(ldap_user.group_dns, getattr(settings, "COLLAB_LDAP_ROLE_GROUPS", {}))


def _directorate(ldap_user) -> Directorate | None:
    code = _first(ldap_user, getattr(settings, "COLLAB_LDAP_DIRECTORATE_ATTR", ""))
    if not code:
        # No department attribute: the nearest organisational unit names it.
        for rdn in ldap.dn.str2dn(ldap_user.dn)[1:]:
            attr, value, _ = rdn[0]
            if attr.lower() == "ou":
                code = value
                break
    if not code:
        return None
    directorate = Directorate.objects.filter(code__iexact=code).first()
    if directorate is None:
        logger.warning("directory: %s names unknown directorate %r", ldap_user.dn, code)
    return directorate


def _manager(ldap_user, user: User) -> tuple[bool, User | None]:
    """(known, manager): known is False when the manager cannot be resolved now."""
    manager_dn = _first(ldap_user, getattr(settings, "COLLAB_LDAP_MANAGER_ATTR", ""))
    if not manager_dn:
        return True, None
    username_attr = settings.COLLAB_LDAP_USERNAME_ATTR
    try:
        entries = ldap_user.connection.search_s(
            manager_dn, ldap.SCOPE_BASE, "(objectClass=*)", [username_attr]
        )
    except ldap.LDAPError as error:
        logger.warning("directory: manager %r of %s unreadable: %s",
                       manager_dn, ldap_user.dn, error)
        return False, None
    for _dn, attrs in entries:
        values = {k.lower(): v for k, v in (attrs or {}).items()}.get(username_attr.lower())
        if values:
            username = values[0].decode()
            manager = User.objects.filter(username__iexact=username).exclude(pk=user.pk).first()
            # A manager who never signed in has no local account yet: kept for
            # the next sign-in rather than guessed.
            return manager is not None, manager
    return False, None


def sync_from_directory(sender, user: User, ldap_user, **kwargs) -> None:
    for field, attr in settings.AUTH_LDAP_USER_ATTR_MAP.items():
        if not _first(ldap_user, attr):
            # Removed in the directory: removed here too, not left stale.
            setattr(user, field, "")
        _fit(user, field)
    role = _role(ldap_user)
    if role is not None:
        user.role = role
    directorate = _directorate(ldap_user)
    if directorate is not None:
        user.directorate = directorate
    known, manager = _manager(ldap_user, user)
    if known:
        user.manager = manager
    # The directory decides: disabled there is inactive here (sockets close
    # on save), enabled again there is active again here.
    user.is_active = not is_disabled(ldap_user)


def note_unreachable(sender, context, user, request, exception, **kwargs) -> None:
    if isinstance(exception, UNREACHABLE) and request is not None:
        request.directory_unreachable = True


populate_user.connect(sync_from_directory, sender=DirectoryBackend)
ldap_error.connect(note_unreachable, sender=DirectoryBackend)
