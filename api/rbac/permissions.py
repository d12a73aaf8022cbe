"""Permission names (``resource:action``), the fixed sets of the system roles, and scopes.

Permission names double as OAuth scopes: a user's token carries the user's
permissions narrowed by the scopes granted to it (:func:`narrow_scope`).
``tokens:introspect`` is the one meant for clients: a client registered with it
is a resource server, which may introspect any token of its tenant (RFC 7662 §4).
"""
from __future__ import annotations

from collections.abc import Iterable

TENANT_READ = "tenant:read"
TENANT_WRITE = "tenant:write"
TENANT_DELETE = "tenant:delete"
OWNERS_MANAGE = "owners:manage"
USERS_READ = "users:read"
USERS_WRITE = "users:write"
ROLES_READ = "roles:read"
ROLES_WRITE = "roles:write"
CLIENTS_READ = "clients:read"
CLIENTS_WRITE = "clients:write"
TOKENS_READ = "tokens:read"
TOKENS_WRITE = "tokens:write"
TOKENS_MANAGE = "tokens:manage"
TOKENS_INTROSPECT = "tokens:introspect"
AUDIT_READ = "audit:read"
RESOURCES_READ = "resources:read"
RESOURCES_WRITE = "resources:write"
PROJECTS_READ = "projects:read"
PROJECTS_WRITE = "projects:write"
PROFILE_READ = "profile:read"
PROFILE_WRITE = "profile:write"

#: Every permission, in a stable order.
ALL = (
    TENANT_READ, TENANT_WRITE, TENANT_DELETE, OWNERS_MANAGE,
    USERS_READ, USERS_WRITE, ROLES_READ, ROLES_WRITE,
    CLIENTS_READ, CLIENTS_WRITE, TOKENS_READ, TOKENS_WRITE, TOKENS_MANAGE, TOKENS_INTROSPECT,
    AUDIT_READ, PROJECTS_READ, PROJECTS_WRITE, PROFILE_READ, PROFILE_WRITE,
    RESOURCES_READ, RESOURCES_WRITE,
)

OWNER = "owner"
ADMIN = "admin"
USER = "user"

_USER_PERMISSIONS = (TENANT_READ, PROFILE_READ, PROFILE_WRITE, TOKENS_READ, TOKENS_WRITE,
                     PROJECTS_READ, PROJECTS_WRITE)
_ADMIN_PERMISSIONS = _USER_PERMISSIONS + (USERS_READ, USERS_WRITE, ROLES_READ, ROLES_WRITE,
                                          CLIENTS_READ, CLIENTS_WRITE, TOKENS_MANAGE,
                                          TOKENS_INTROSPECT, AUDIT_READ, RESOURCES_READ,
                                          RESOURCES_WRITE)

#: The system roles every tenant has, with their fixed permission sets.
SYSTEM_ROLES: dict[str, frozenset[str]] = {
    OWNER: frozenset(ALL),
    ADMIN: frozenset(_ADMIN_PERMISSIONS),
    USER: frozenset(_USER_PERMISSIONS),
}

#: OpenID Connect scopes, which name identity claims rather than permissions.
IDENTITY_SCOPES = ("openid", "profile", "email", "offline_access")

#: Every scope a client may be registered for.
SCOPES = IDENTITY_SCOPES + ALL


def narrow_scope(scope: str, permissions: Iterable[str] | None) -> str:
    """The scopes a user's token may carry: of the permission scopes, only the user's own
    ``permissions``; identity scopes and the scopes of the tenant's other APIs (resources,
    which are not Tessera permissions) stay.

    ``permissions`` is None when no user is involved (a client acting for itself):
    the scope is then left as it is.
    """
    if permissions is None or not scope:
        return scope or ""
    allowed = set(permissions)
    return " ".join(s for s in scope.split() if s not in _PERMISSIONS or s in allowed)


_PERMISSIONS = frozenset(ALL)
