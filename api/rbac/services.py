"""The permission catalogue in the database, each tenant's system roles, roles by name."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from api.errors import InvalidInput
from api.extensions import db
from api.rbac import permissions
from api.rbac.models import Permission, Role


def permission_catalogue() -> dict[str, Permission]:
    """Every known permission row by name, creating any that are missing."""
    existing = {p.name: p for p in db.session.scalars(select(Permission))}
    for name in permissions.ALL:
        if name not in existing:
            existing[name] = Permission(name=name)
            db.session.add(existing[name])
    return existing


def create_system_roles(tenant_id: uuid.UUID) -> dict[str, Role]:
    """The tenant's ``owner``, ``admin`` and ``user`` roles with their fixed permissions."""
    catalogue = permission_catalogue()
    roles = {}
    for name, granted in permissions.SYSTEM_ROLES.items():
        roles[name] = Role(tenant_id=tenant_id, name=name, is_system=True,
                           description=f"System role: {name}",
                           permissions=[catalogue[p] for p in permissions.ALL if p in granted])
        db.session.add(roles[name])
    return roles


def role_by_name(name: str) -> Role:
    """The current tenant's role called ``name``; InvalidInput when there is none."""
    role = db.session.scalar(select(Role).where(Role.name == name))
    if role is None:
        raise InvalidInput("role", f"unknown role {name!r}")
    return role
