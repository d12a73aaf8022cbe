"""The ceilings: nobody grants a role, permission or scope above their own."""
from __future__ import annotations

from api.access.caller import Caller, deny
from api.errors import Conflict
from api.rbac import permissions
from api.rbac.models import Role


def check_can_grant(caller: Caller, granted: set[str] | frozenset[str], what: str) -> None:
    """403 unless every permission in ``granted`` is one the caller holds."""
    above = sorted(set(granted) - caller.permissions)
    if above:
        raise deny(caller, f"You cannot grant {what} above your own permissions "
                           f"({', '.join(above)}).", above=above)


def check_can_assign(caller: Caller, role: Role) -> None:
    """Assigning a role: within the caller's permissions; owners only by owners."""
    if role.name == permissions.OWNER and not caller.can(permissions.OWNERS_MANAGE):
        raise deny(caller, "Only owners can make owners.", role=role.name)
    check_can_grant(caller, role.permission_names, f"role {role.name!r}")


def check_can_manage(caller: Caller, target_roles: list[Role]) -> None:
    """Changing or removing an owner takes an owner."""
    if any(r.name == permissions.OWNER for r in target_roles) and \
            not caller.can(permissions.OWNERS_MANAGE):
        raise deny(caller, "Only owners can change or remove owners.")


def check_not_last_owner(live_owner_count: int) -> None:
    """The last owner can be neither demoted nor removed."""
    if live_owner_count <= 1:
        raise Conflict("A tenant needs at least one owner; make someone else owner first.")
