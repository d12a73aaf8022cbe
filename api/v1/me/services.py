"""The caller of a request, described from its access token."""
from __future__ import annotations

from api.access.caller import Caller
from api.tenancy.models import Tenant


def describe_caller(caller: Caller, tenant: Tenant) -> dict:
    """User or client, tenant, roles and the permissions this token actually carries."""
    user, client = caller.user, caller.client
    return {
        "type": "user" if user else "client",
        "user": {"id": user.id, "email": user.email} if user else None,
        "client": {"id": client.id, "client_id": client.client_id,
                   "client_name": client.client_name},
        "tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name},
        "roles": sorted(role.name for role in user.roles) if user else [],
        "permissions": sorted(caller.permissions),
        "scope": caller.token.scope,
    }
