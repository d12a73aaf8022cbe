"""The current tenant: resolved once per request from ``/t/<slug>`` and kept on ``g``.

Every blueprint nested under :data:`bp` gets ``g.tenant`` and a session scoped
to that tenant (see :mod:`api.db`); an unknown or deleted tenant is a 404, and so is
a malformed slug, which does not even route (the ``slug`` converter of :mod:`identifiers`).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g

from api.db import set_tenant_scope
from api.extensions import db
from api.tenancy.models import Tenant
from api.tenancy.services import get_tenant

bp = Blueprint("tenant", __name__, url_prefix="/t/<slug:slug>")


@bp.url_value_preprocessor
def resolve_tenant(endpoint, values) -> None:
    enter_tenant(values.pop("slug"))


def enter_tenant(slug: str) -> None:
    """Make the tenant ``slug`` the request's tenant (404 if there is none); scope the session."""
    tenant = get_tenant(slug, current_app.config["TENANT_CACHE_SECONDS"])
    g.tenant = tenant
    g.tenant_slug = tenant.slug  # for logs and metrics: a string outlives a rolled-back session
    set_tenant_scope(db.session, tenant.id)


def current_tenant() -> Tenant:
    return g.tenant


def issuer_url(tenant: Tenant) -> str:
    """The tenant's issuer identifier: ``{PUBLIC_API_URL}/t/{slug}``."""
    return f"{current_app.config['PUBLIC_API_URL']}/t/{tenant.slug}"
