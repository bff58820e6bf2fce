"""Sign-in with the ministry's directory (LDAP / Active Directory), from the environment.

``directory_settings(os.environ)`` returns the settings to add, or nothing when
``LDAP_SERVER_URI`` is unset: the directory is then off and only local accounts
sign in. Kept apart from collab/directory.py so that settings.py imports
python-ldap only when a directory is configured.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

# Directory group -> role. The first match in this order wins, so a member of
# several groups gets the widest role; a manager who also trains stays a
# manager, since leave approvals are routed to managers by role. Shared by the
# single sign-on (collab/oidc_config.py), whose groups claim maps the same way.
ROLE_PRIORITY = [
    "administrator", "auditor", "hr_officer", "press_officer", "communication_officer",
    "manager", "trainer",
]
# Names the ministry uses for a role, beside the role's own value.
ROLE_ALIASES = {"hr": "hr_officer", "admin": "administrator"}

DEFAULT_ATTR_MAP = {
    "first_name": "givenName",
    "last_name": "sn",
    "full_name_ar": "displayName",
    "email": "mail",
    "job_title": "title",
    "employee_number": "employeeNumber",
}

GROUP_TYPES = {
    "groupofnames": "GroupOfNamesType",
    "groupofuniquenames": "GroupOfUniqueNamesType",
    "posix": "PosixGroupType",
    "activedirectory": "ActiveDirectoryGroupType",
    "nestedactivedirectory": "NestedActiveDirectoryGroupType",
    "nestedgroupofnames": "NestedGroupOfNamesType",
}


def pairs(value: str, name: str) -> dict[str, str]:
    # "key=value;key=value": semicolons, because DNs hold commas.
    result = {}
    for item in value.split(";"):
        if not item.strip():
            continue
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ImproperlyConfigured(f"{name}: expected key=value;key=value, got {item!r}")
        result[key.strip()] = val.strip()
    return result


def role_groups(value: str, name: str) -> dict[str, str]:
    """{role: group} from "role=group;role=group", each role one of ROLE_PRIORITY."""
    roles = {}
    for role, group in pairs(value, name).items():
        role = ROLE_ALIASES.get(role.lower(), role.lower())
        if role not in ROLE_PRIORITY:
            raise ImproperlyConfigured(
                f"{name}: unknown role {role!r} (one of {', '.join(ROLE_PRIORITY)})"
            )
        roles[role] = group
    return roles


def role_for(member_of: set[str], groups: dict[str, str]) -> str | None:
    """The role of someone in ``member_of`` (lower-cased group names or DNs), by
    ``groups`` ({role: group}): the first in ROLE_PRIORITY, else staff. None
    when no group is mapped: roles are then managed in collab."""
    if not groups:
        return None
    for role in ROLE_PRIORITY:
        if role in groups and groups[role].lower() in member_of:
            return role
    return "staff"


def directory_settings(environ: Mapping[str, str]) -> dict:
    uri = environ.get("LDAP_SERVER_URI", "").strip()
    if not uri:
        return {}
    import ldap
    from django_auth_ldap import config

    def get(name, default=""):
        return environ.get(name, default).strip()

    username_attr = get("LDAP_USERNAME_ATTR", "uid")
    search_base = get("LDAP_USER_SEARCH_BASE")
    if not search_base:
        raise ImproperlyConfigured("LDAP_USER_SEARCH_BASE is required with LDAP_SERVER_URI")
    user_filter = get("LDAP_USER_FILTER") or f"({username_attr}=%(user)s)"

    attr_map = dict(DEFAULT_ATTR_MAP)
    attr_map.update(pairs(get("LDAP_USER_ATTR_MAP"), "LDAP_USER_ATTR_MAP"))
    attr_map = {field: attr for field, attr in attr_map.items() if attr != "-"}

    roles = role_groups(get("LDAP_ROLE_GROUPS"), "LDAP_ROLE_GROUPS")

    group_type_name = GROUP_TYPES.get(get("LDAP_GROUP_TYPE", "groupOfNames").lower())
    if group_type_name is None:
        raise ImproperlyConfigured(f"LDAP_GROUP_TYPE: one of {', '.join(GROUP_TYPES)}")
    timeout = float(get("LDAP_TIMEOUT", "5"))

    result = {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": get("LDAP_BIND_DN"),
        "AUTH_LDAP_BIND_PASSWORD": environ.get("LDAP_BIND_PASSWORD", ""),
        "AUTH_LDAP_START_TLS": get("LDAP_START_TLS").lower() in {"1", "true", "yes", "on"},
        "AUTH_LDAP_USER_SEARCH": config.LDAPSearch(search_base, ldap.SCOPE_SUBTREE, user_filter),
        "AUTH_LDAP_USER_ATTR_MAP": attr_map,
        # Every sign-in re-reads the directory: it, not collab, is the source.
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        # A directory that does not answer must not hold the sign-in page.
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: timeout,
            ldap.OPT_TIMEOUT: timeout,
            ldap.OPT_REFERRALS: 0,
        },
        "COLLAB_LDAP_USERNAME_ATTR": username_attr,
        "COLLAB_LDAP_ROLE_GROUPS": roles,
        "COLLAB_LDAP_DIRECTORATE_ATTR": get("LDAP_DIRECTORATE_ATTR", "departmentNumber"),
        "COLLAB_LDAP_MANAGER_ATTR": get("LDAP_MANAGER_ATTR", "manager"),
        "COLLAB_LDAP_DISABLED_GROUP": get("LDAP_DISABLED_GROUP"),
    }
    group_base = get("LDAP_GROUP_SEARCH_BASE")
    if group_base:
        result["AUTH_LDAP_GROUP_SEARCH"] = config.LDAPSearch(
            group_base, ldap.SCOPE_SUBTREE, get("LDAP_GROUP_FILTER", "(objectClass=*)")
        )
        result["AUTH_LDAP_GROUP_TYPE"] = getattr(config, group_type_name)()
    elif roles or result["COLLAB_LDAP_DISABLED_GROUP"]:
        raise ImproperlyConfigured(
            "LDAP_GROUP_SEARCH_BASE is required with LDAP_ROLE_GROUPS or LDAP_DISABLED_GROUP"
        )
    return result
