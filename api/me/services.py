"""The caller of a request, described from its access token."""
from __future__ import annotations

from api.clients.models import Client
from api.extensions import db
from api.oauth.models import Token
from api.rbac.permissions import ALL
from api.tenancy.context import current_tenant
from api.users.models import User


def describe_caller(token: Token) -> dict:
    """User or client, tenant, roles and the permissions this token actually carries."""
    grant = token.grant
    client = db.session.get(Client, grant.client_id)
    user = db.session.get(User, grant.user_id) if grant.user_id else None
    tenant = current_tenant()
    scopes = set(token.scope.split())
    granted = scopes & (user.permissions if user else set(ALL))
    return {
        "type": "user" if user else "client",
        "user": {"id": str(user.id), "email": user.email} if user else None,
        "client": {"client_id": client.client_id, "client_name": client.client_name},
        "tenant": {"id": str(tenant.id), "slug": tenant.slug, "name": tenant.name},
        "roles": sorted(role.name for role in user.roles) if user else [],
        "permissions": sorted(granted),
        "scope": token.scope,
    }
