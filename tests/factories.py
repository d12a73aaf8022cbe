"""Build real rows through the real services (no fixtures that bypass the rules)."""
from __future__ import annotations

import itertools

from flask import current_app

from api import audit
from api.clients.services import add_client
from api.db import tenant_scope
from api.extensions import db
from api.tenancy.services import create_tenant
from api.users.services import create_user

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def tenant(slug: str | None = None, owner_email: str = "owner@example.com"):
    """A tenant and its owner; returns ``(tenant, owner)``."""
    slug = slug or f"tenant-{next(_numbers)}"
    return create_tenant(slug, slug.title(), owner_email, PASSWORD, actor=audit.OPERATOR,
                         frontend_url=current_app.config["PUBLIC_FRONTEND_URL"])


def user(tenant, email: str | None = None, role: str = "user"):
    email = email or f"user{next(_numbers)}@example.com"
    with tenant_scope(db.session, tenant.id):
        return create_user(email, PASSWORD, role, audit.OPERATOR)


def client(tenant, grant_types=("client_credentials",), scope="projects:read",
           redirect_uris=(), public=False, first_party=False, require_pkce=True,
           **registration):
    """A client and its secret; returns ``(client, secret)``. ``registration``: more of
    :func:`api.clients.services.add_client` (``auth_method``, ``jwks``, ``jwks_uri``)."""
    with tenant_scope(db.session, tenant.id):
        registered = add_client(f"App {next(_numbers)}", list(grant_types), scope,
                                list(redirect_uris), public, audit.OPERATOR, first_party,
                                require_pkce=require_pkce, **registration)
        db.session.commit()
        return registered
