"""``/roles`` use cases: list, read, and custom roles created, edited and deleted within the
write policy of :mod:`api.access.policy`.

A role holds its permission set (``policy.role_holds``). Every write to an existing role
starts with :func:`writable_role`, before it looks at any field; creating or editing also
checks the permissions the role would have.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.access import policy
from api.access.caller import Caller
from api.errors import Conflict, NotFound
from api.extensions import db
from api.rbac.models import Role, user_roles
from api.rbac.services import permission_catalogue
from api.users import signals as user_signals
from api.users.models import User


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
    policy.check_can_grant(caller, granted, "a role")
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


def writable_role(caller: Caller, role_id: uuid.UUID) -> Role:
    """The role ``role_id`` once the write policy lets the caller change it: the first call of
    every write to an existing role."""
    role = get_role(role_id)
    policy.check_can_change(caller, policy.role_holds(role), f"role {role.name!r}", role)
    return role


def update_role(caller: Caller, role_id: uuid.UUID, changes: dict) -> Role:
    """Edit a custom role; members who lose permissions lose the tokens above them."""
    role = writable_role(caller, role_id)
    granted = set(changes.get("permissions", role.permission_names))
    policy.check_can_grant(caller, granted, "a role")
    if role.is_system:
        raise Conflict("System roles are fixed.")
    if "permissions" in changes:
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
    """Delete a custom role nobody has."""
    role = writable_role(caller, role_id)
    if role.is_system:
        raise Conflict("System roles cannot be deleted.")
    if _members(role):
        raise Conflict("The role is assigned to users; give them another role first.")
    audit.record("role.deleted", caller.actor, role, name=role.name)
    db.session.delete(role)
    db.session.commit()


def _members(role: Role) -> list[User]:
    return list(db.session.scalars(select(User).join(user_roles)
                                   .where(user_roles.c.role_id == role.id)))
