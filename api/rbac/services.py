"""Roles and permissions: the permission catalogue and each tenant's system roles."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.errors import Conflict, InvalidInput, NotFound
from api.extensions import db
from api.rbac import permissions, policy
from api.rbac.caller import Caller
from api.rbac.models import Permission, Role, user_roles
from api.users import signals as user_signals
from api.users.models import User


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


def list_roles() -> Select:
    """System roles first, then custom roles, by name."""
    return select(Role).order_by(Role.is_system.desc(), Role.name)


def get_role(role_id: uuid.UUID) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        raise NotFound("No such role.")
    return role


def create_role(caller: Caller, name: str, description: str, granted: list[str]) -> Role:
    """A custom role, never above the creator's own permissions."""
    policy.check_can_grant(caller, set(granted), "a role")
    if db.session.scalar(select(Role.id).where(Role.name == name)):
        raise Conflict(f"a role named {name!r} already exists")
    catalogue = permission_catalogue()
    role = Role(name=name, description=description,
                permissions=[catalogue[p] for p in sorted(set(granted))])
    db.session.add(role)
    db.session.flush()
    audit.record("role.created", caller.actor, role, permissions=sorted(set(granted)))
    db.session.commit()
    return role


def update_role(caller: Caller, role_id: uuid.UUID, changes: dict) -> Role:
    """Edit a custom role; members who lose permissions lose the tokens above them."""
    role = get_role(role_id)
    if role.is_system:
        raise Conflict("System roles are fixed.")
    if "permissions" in changes:
        granted = set(changes["permissions"])
        policy.check_can_grant(caller, granted | role.permission_names, "a role")
        lost = role.permission_names - granted
        catalogue = permission_catalogue()
        role.permissions = [catalogue[p] for p in sorted(granted)]
        if lost:
            for user in _members(role):
                user_signals.permissions_reduced.send(user, actor=caller.actor)
    if "description" in changes:
        role.description = changes["description"]
    audit.record("role.updated", caller.actor, role, **{k: v for k, v in changes.items()})
    db.session.commit()
    return role


def delete_role(caller: Caller, role_id: uuid.UUID) -> None:
    role = get_role(role_id)
    if role.is_system:
        raise Conflict("System roles cannot be deleted.")
    policy.check_can_grant(caller, role.permission_names, "a role")
    if _members(role):
        raise Conflict("The role is assigned to users; give them another role first.")
    audit.record("role.deleted", caller.actor, role, name=role.name)
    db.session.delete(role)
    db.session.commit()


def _members(role: Role) -> list[User]:
    return list(db.session.scalars(select(User).join(user_roles)
                                   .where(user_roles.c.role_id == role.id)))
