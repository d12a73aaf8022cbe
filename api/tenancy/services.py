"""Tenant use cases: creation (with owner, roles and keys), lookup, listing, settings.

Every request under ``/t/<slug>`` looks its tenant up, so each process keeps
the tenants it has seen for ``TENANT_CACHE_SECONDS`` (5 by default; the caller
says how long) and hands the request its copy without a query. The copy is
detached and shared by the process's threads: a request reads its columns and
never changes it; what changes a tenant, or must show it as it is now, takes
:func:`fresh`. A rename or a change of token lifetimes therefore reaches every
process within that time; a deletion revokes the tenant's tokens at once
(``tenant_deleted``) and the issuer answers 404 everywhere within that time. The
settings endpoints read the tenant fresh.
"""
from __future__ import annotations

import time
import uuid

from blinker import Namespace
from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached

from api import audit
from api.clients.services import add_console_client
from api.db import tenant_scope, utcnow
from api.errors import Conflict, NotFound
from api.extensions import db
from api.keys import services as keys
from api.rbac import permissions
from api.rbac.services import create_system_roles
from api.tenancy.models import Tenant
from api.users.models import User
from api.users.services import add_user

#: A tenant was deleted: the OAuth server revokes its tokens (``sender`` is the tenant).
tenant_deleted = Namespace().signal("tenant-deleted")

#: slug -> (monotonic expiry, detached copy of the tenant); see the module docstring.
_cache: dict[str, tuple[float, Tenant]] = {}


def create_tenant(slug: str, name: str, owner_email: str, owner_password: str,
                  actor: audit.Actor, frontend_url: str) -> tuple[Tenant, User]:
    """Create a tenant with its system roles, owner, first signing key and console client
    (whose redirect URI is under ``frontend_url``)."""
    if db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name)
    db.session.add(tenant)
    with tenant_scope(db.session, tenant.id):
        roles = create_system_roles(tenant.id)
        owner = add_user(owner_email, owner_password, roles[permissions.OWNER])
        keys.create_key(tenant.id)
        db.session.flush()
        audit.record("tenant.created", actor, tenant, slug=slug)
        audit.record("user.created", actor, owner, role=permissions.OWNER)
        add_console_client(frontend_url, slug, actor)
        db.session.commit()
    return tenant, owner


def get_tenant(slug: str, cache_seconds: float = 0) -> Tenant:
    """The live tenant with ``slug``; NotFound for unknown or deleted tenants.

    With ``cache_seconds``, this process's copy serves when it is that recent: detached and
    shared, to be read only (:func:`fresh` gives one to change). Attaching a copy to the
    session for each request (``Session.merge``) cost about 6% of a bearer-checked request.
    """
    cached = _cache.get(slug)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    tenant = db.session.scalar(select(Tenant)
                               .where(Tenant.slug == slug, Tenant.deleted_at.is_(None))
                               .execution_options(populate_existing=True))
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    if cache_seconds:
        _remember(tenant, cache_seconds)
    return tenant


def _remember(tenant: Tenant, seconds: float) -> None:
    columns = {attr.key: getattr(tenant, attr.key) for attr in inspect(Tenant).column_attrs}
    copy = Tenant(**columns)
    make_transient_to_detached(copy)
    _cache[tenant.slug] = (time.monotonic() + seconds, copy)


def forget_cached_tenants() -> None:
    """Empty this process's tenant cache (the test suite rolls tenants back between tests)."""
    _cache.clear()


def public_view(tenant: Tenant) -> dict:
    """What end-user pages and mails show of a tenant: its name and branding."""
    return {"slug": tenant.slug, "name": tenant.name, "branding": dict(tenant.branding or {})}


def fresh(tenant: Tenant) -> Tenant:
    """``tenant`` re-read from the database, in the session: what the settings endpoints
    show (never a cached copy) and what a change is made to. NotFound once it is deleted."""
    found = db.session.scalar(select(Tenant).where(Tenant.id == tenant.id,
                                                   Tenant.deleted_at.is_(None))
                              .execution_options(populate_existing=True))
    if found is None:
        raise NotFound(f"no tenant {tenant.slug!r}")
    return found


def list_tenants() -> list[Tenant]:
    """Every live tenant, by slug."""
    return list(db.session.scalars(select(Tenant).where(Tenant.deleted_at.is_(None))
                                   .order_by(Tenant.slug)))


def update_tenant(tenant: Tenant, changes: dict, actor: audit.Actor) -> Tenant:
    """Change the tenant's name, token lifetimes, account settings (sign-up, verified
    addresses, password length, MFA policy) or branding (whose keys merge, RFC 7396: a null
    removes one). ``tenant`` is as :func:`fresh` gives it, not the request's cached copy."""
    for field, value in changes.items():
        if field == "branding":
            value = {k: v for k, v in {**tenant.branding, **value}.items() if v is not None}
        setattr(tenant, field, value)
    audit.record("tenant.updated", actor, tenant, **changes)
    db.session.commit()
    _cache.pop(tenant.slug, None)
    return tenant


def delete_tenant(tenant: Tenant, actor: audit.Actor) -> None:
    """Soft-delete: every token is revoked and the issuer answers 404 from now on."""
    tenant = fresh(tenant)
    tenant.deleted_at = utcnow()
    audit.record("tenant.deleted", actor, tenant, slug=tenant.slug)
    tenant_deleted.send(tenant, actor=actor)
    db.session.commit()
    _cache.pop(tenant.slug, None)
