"""``/users`` use cases: create, list, read, update (role, activity, password, profile),
delete, mailing a password-reset link, and resetting a user's second factors.

Every write checks the write policy of :mod:`api.access.policy` on the whole user before it
looks at any field (:func:`writable_user`), and the role it would give
(:func:`_check_can_assign`); then it audits and commits once. A new field of
``PATCH /users/{id}`` goes into :func:`update_user` after that check, and into
:data:`SELF_SERVICE_FIELDS` if users may change it on themselves.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.access import policy
from api.access.caller import Caller, deny
from api.accounts import services as accounts
from api.db import utcnow
from api.errors import InvalidInput, NotFound
from api.extensions import db
from api.mfa import services as mfa
from api.rbac import permissions
from api.rbac.models import Role, user_roles
from api.rbac.services import role_by_name
from api.tenancy.models import Tenant
from api.users import services as users
from api.users import signals
from api.users.models import User, normalize_email
from api.users.passwords import verify_password

#: What users may change on themselves with ``profile:write``; every other change takes
#: ``users:write``.
SELF_SERVICE_FIELDS = frozenset({"password", "current_password", *accounts.PROFILE_FIELDS})


def create_user(caller: Caller, tenant: Tenant, email: str, password: str,
                role_name: str) -> User:
    """Create a user with one role, never above the caller's own."""
    _check_can_assign(caller, role_by_name(role_name))
    return users.create_user(email, password, role_name, caller.actor,
                             tenant.password_min_length)


def list_users(email: str | None = None, role: str | None = None,
               active: bool | None = None) -> Select:
    """Live users, filtered, by email."""
    statement = select(User).where(User.deleted_at.is_(None)).order_by(User.email)
    if email:
        statement = statement.where(User.email.contains(normalize_email(email), autoescape=True))
    if role:
        statement = statement.join(user_roles).join(Role).where(Role.name == role)
    if active is not None:
        statement = statement.where(User.is_active.is_(active))
    return statement


def get_user(user_id: uuid.UUID) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.")
    return user


def writable_user(caller: Caller, user_id: uuid.UUID) -> User:
    """The user ``user_id`` once the write policy lets the caller change them: the first call
    of every write to an existing user."""
    user = get_user(user_id)
    policy.check_can_change(caller, policy.user_holds(user), f"user {user.email}", user)
    return user


def _is_self(caller: Caller, user_id: uuid.UUID) -> bool:
    return caller.user is not None and caller.user.id == user_id


def read_user(caller: Caller, user_id: uuid.UUID) -> User:
    """Anyone with users:read sees any user; everyone sees themselves (profile:read)."""
    if not (caller.can(permissions.USERS_READ)
            or (_is_self(caller, user_id) and caller.can(permissions.PROFILE_READ))):
        raise deny(caller, "Requires the users:read permission.", object_id=str(user_id))
    return get_user(user_id)


def update_user(caller: Caller, tenant: Tenant, user_id: uuid.UUID, changes: dict) -> User:
    """Change any field of a user; the write policy covers the whole user first, so a field
    added here needs no ceiling of its own."""
    user = writable_user(caller, user_id)
    _check_can_write(caller, user, changes)
    if "role" in changes:
        _change_role(caller, user, role_by_name(changes["role"]))
    if "is_active" in changes and changes["is_active"] != user.is_active:
        _change_activity(caller, user, changes["is_active"])
    if "password" in changes:
        _change_password(caller, user, changes["password"], changes.get("current_password"),
                         tenant)
    return accounts.update_profile(user, changes, caller.actor)  # commits


def send_password_reset(caller: Caller, tenant: Tenant, user_id: uuid.UUID) -> None:
    """Mail a user a password-reset link: it obtains the user's credentials, so the write
    policy covers the whole user."""
    accounts.send_password_reset(tenant, writable_user(caller, user_id), caller.actor)


def reset_factors(caller: Caller, tenant: Tenant, user_id: uuid.UUID) -> None:
    """Remove a user's second factors: users:write over the whole user (an admin never
    resets an owner's), and an owner's last factor stays theirs
    (:func:`api.mfa.services.reset`)."""
    mfa.reset(tenant, writable_user(caller, user_id), caller.actor, caller.user)


def _check_can_write(caller: Caller, user: User, changes: dict) -> None:
    """users:write, or profile:write for the caller's own self-service fields."""
    if caller.can(permissions.USERS_WRITE) or (
            _is_self(caller, user.id) and set(changes) <= SELF_SERVICE_FIELDS
            and caller.can(permissions.PROFILE_WRITE)):
        return
    raise deny(caller, "Requires the users:write permission.", user)


def _check_can_assign(caller: Caller, role: Role) -> None:
    """The write policy on what a user would hold: the role given them."""
    policy.check_can_grant(caller, policy.role_holds(role), f"role {role.name!r}")


def _check_current_password(caller: Caller, user: User, current: str | None) -> None:
    """Changing your own password takes your current one (a stolen session is not enough)."""
    if not current or not verify_password(user.password_hash, current):
        audit.record_now("user.password_change_refused", caller.actor, user,
                         outcome=audit.FAILURE)
        raise InvalidInput("current_password", "is not your current password")


def _change_role(caller: Caller, user: User, role: Role) -> None:
    _check_can_assign(caller, role)
    if users.is_owner(user) and role.name != permissions.OWNER:
        policy.check_not_last_owner(users.live_owner_count())
    before = user.permissions
    user.roles = [role]
    audit.record("user.role_changed", caller.actor, user, role=role.name)
    if before - role.permission_names:
        signals.permissions_reduced.send(user, actor=caller.actor)


def _change_activity(caller: Caller, user: User, active: bool) -> None:
    if not active and users.is_owner(user):
        policy.check_not_last_owner(users.live_owner_count())
    user.is_active = active
    audit.record("user.activated" if active else "user.deactivated", caller.actor, user)
    if not active:
        signals.access_ended.send(user, actor=caller.actor)


def _change_password(caller: Caller, user: User, password: str, current: str | None,
                     tenant: Tenant) -> None:
    if _is_self(caller, user.id):
        _check_current_password(caller, user, current)
    users.set_password(user, password, tenant.password_min_length)
    audit.record("user.password_changed", caller.actor, user)
    signals.password_changed.send(
        user, actor=caller.actor, keep=caller.token.grant_id if _is_self(caller, user.id) else None)


def sign_out_everywhere(caller: Caller, user_id: uuid.UUID) -> User:
    """End the user's API sign-in sessions and revoke every grant they hold: anyone the write
    policy lets the caller change (users:write), or themselves (profile:write)."""
    user = get_user(user_id) if _is_self(caller, user_id) else writable_user(caller, user_id)
    if not (caller.can(permissions.USERS_WRITE)
            or (_is_self(caller, user.id) and caller.can(permissions.PROFILE_WRITE))):
        raise deny(caller, "Requires the users:write permission.", user)
    audit.record("user.signed_out_everywhere", caller.actor, user)
    signals.signed_out.send(user, actor=caller.actor)
    db.session.commit()
    return user


def delete_user(caller: Caller, user_id: uuid.UUID) -> None:
    """Soft-delete a user and revoke everything they hold."""
    user = writable_user(caller, user_id)
    if users.is_owner(user):
        policy.check_not_last_owner(users.live_owner_count())
    user.deleted_at = utcnow()
    user.is_active = False
    audit.record("user.deleted", caller.actor, user)
    signals.access_ended.send(user, actor=caller.actor)
    db.session.commit()
