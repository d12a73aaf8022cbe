"""The write policy of the tenant REST API, the one rule every mutation obeys:

    **a caller never creates, changes, takes over or obtains credentials for anything
    that holds more than the caller holds.**

Every write use case in :mod:`api.v1` calls :func:`check_can_change` at its top, with what
the target holds *now*, before it looks at which fields the request changes, and
:func:`check_can_grant` with what the target would hold *afterwards* (the role, scope or
permission set requested, whether or not that field is in the body). Both are 403 through
:func:`~api.access.caller.deny`, so each refusal is in the audit log with the permissions
that were above the caller (``above``).

So a new field of a write (a user's name or email, MFA, a client's logo, ...) needs nothing
here: the use case it joins has already checked the whole target. A new write endpoint
calls :func:`check_can_change` first; ``tests/api/test_escalation_matrix.py`` finds every
write endpoint in the URL map and every field in its schema, and fails until a new resource
is classified.

What a target holds, one definition per kind:

- a user: the permissions of their roles (:func:`user_holds`). The owner role holds
  everything, ``owners:manage`` included, so only owners make, change or remove owners;
- a client: its registered permission scopes, the most its tokens can carry
  (:func:`client_holds`); rotating its secret or adding a grant obtains those tokens;
- a role: its permission set (:func:`role_holds`);
- an API (a resource, RFC 8707): the permission scopes it accepts, which tokens for it may
  carry (:func:`resource_holds`);
- an initial access token: what the tenant's registration policy lets a client registered
  with it hold (:func:`client_holds` of the policy's scope);
- the tenant, its settings and its deletion: every permission (:data:`TENANT_HOLDS`).

A caller holds its token's permissions (:mod:`api.access.caller`): a user's roles narrowed by
the token's scopes, or a client_credentials token's granted scopes. A user changing their
own password therefore needs a token that carries everything they hold.

Revoking grants (``DELETE /tokens/{id}``, or all of a user's or client's with
``DELETE /tokens?user_id=…``) is outside the rule: it only ends access, never
gives any, and whoever would lose by it signs in again. An admin can thus end an owner's
sessions (incident response), but neither lock the owner out nor act as the owner.
"""
from __future__ import annotations

from collections.abc import Iterable

from api.access.caller import Caller, deny
from api.errors import Conflict
from api.rbac import permissions
from api.rbac.models import Role
from api.users.models import User

#: The tenant (its settings, its deletion) holds every permission.
TENANT_HOLDS = frozenset(permissions.ALL)


def user_holds(user: User) -> frozenset[str]:
    """A user holds their roles' permissions."""
    return user.permissions


def client_holds(scope: str) -> frozenset[str]:
    """A client registered for ``scope`` holds its permission scopes (identity scopes grant
    nothing)."""
    return frozenset(scope.split()) & TENANT_HOLDS


def resource_holds(scope: str) -> frozenset[str]:
    """An API accepting ``scope`` holds its permission scopes: tokens for it carry them."""
    return client_holds(scope)


def role_holds(role: Role) -> frozenset[str]:
    """A role holds its permission set."""
    return role.permission_names


def check_can_change(caller: Caller, holds: Iterable[str], what: str, target=None) -> None:
    """403 unless the caller holds everything the target (``what``) holds now."""
    _check_within(caller, holds, target, owners="Only owners can change or remove owners.",
                  others=f"You cannot change {what}: it holds permissions you do not")


def check_can_grant(caller: Caller, granted: Iterable[str], what: str) -> None:
    """403 unless the caller holds every permission a target would hold after the write."""
    _check_within(caller, granted, None, owners="Only owners can make owners.",
                  others=f"You cannot grant {what} above your own permissions")


def _check_within(caller: Caller, holds: Iterable[str], target, owners: str,
                  others: str) -> None:
    above = sorted(set(holds) - caller.permissions)
    if above:
        detail = owners if permissions.OWNERS_MANAGE in above else f"{others} ({', '.join(above)})."
        raise deny(caller, detail, target, above=above)


def check_not_last_owner(live_owner_count: int) -> None:
    """The last owner can be neither demoted nor removed."""
    if live_owner_count <= 1:
        raise Conflict("A tenant needs at least one owner; make someone else owner first.")
