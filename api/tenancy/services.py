"""Tenant use cases: creation (with owner, roles and keys), lookup, listing."""
from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select

from api import audit
from api.clients.services import console_client
from api.db import tenant_scope, utcnow
from api.errors import Conflict, DomainError, NotFound
from api.extensions import db
from api.keys import services as keys
from api.rbac import permissions
from api.rbac.services import create_system_roles
from api.tenancy.models import Tenant
from api.users.models import User
from api.users.services import add_user


class SignUpThrottled(DomainError):
    status = 429
    title = "Too Many Requests"


def create_tenant(slug: str, name: str, owner_email: str, owner_password: str,
                  actor: audit.Actor) -> tuple[Tenant, User]:
    """Create a tenant with its system roles, owner and first signing key."""
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
        db.session.commit()
        console_client(current_app.config["PUBLIC_FRONTEND_URL"], slug)
    return tenant, owner


def get_tenant(slug: str) -> Tenant:
    """The live tenant with ``slug``; NotFound for unknown or deleted tenants."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug,
                                                    Tenant.deleted_at.is_(None)))
    if tenant is None:
        raise NotFound(f"no tenant {slug!r}")
    return tenant


def list_tenants() -> list[Tenant]:
    """Every live tenant, by slug."""
    return list(db.session.scalars(select(Tenant).where(Tenant.deleted_at.is_(None))
                                   .order_by(Tenant.slug)))


def update_tenant(tenant: Tenant, changes: dict, actor: audit.Actor) -> Tenant:
    """Change the tenant's name, token lifetimes or sign-up switch."""
    for field, value in changes.items():
        setattr(tenant, field, value)
    audit.record("tenant.updated", actor, tenant, **changes)
    db.session.commit()
    return tenant


def delete_tenant(tenant: Tenant, actor: audit.Actor) -> None:
    """Soft-delete: the issuer answers 404 from now on, so every token dies with it."""
    tenant.deleted_at = utcnow()
    audit.record("tenant.deleted", actor, tenant, slug=tenant.slug)
    db.session.commit()
