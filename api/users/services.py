"""Users of a tenant, whoever asks: adding them, the password policy, owners.

The tenant REST API's use cases (:mod:`api.v1.users`) apply the caller's
ceilings on top of these.
"""
from __future__ import annotations

from sqlalchemy import func, select

from api import audit
from api.errors import Conflict, InvalidInput
from api.extensions import db
from api.rbac import permissions
from api.rbac.models import Role, user_roles
from api.rbac.services import role_by_name
from api.users.models import User, normalize_email
from api.users.passwords import hash_password, password_problem


def check_password_policy(password: str) -> None:
    """Raise InvalidInput when ``password`` is too weak."""
    problem = password_problem(password)
    if problem:
        raise InvalidInput("password", problem)


def add_user(email: str, password: str, role: Role) -> User:
    """Add a user to the current tenant's session (no commit); the caller commits."""
    email = normalize_email(email)
    check_password_policy(password)
    if db.session.scalar(select(User.id).where(User.email == email, User.deleted_at.is_(None))):
        raise Conflict(f"a user with email {email} already exists")
    user = User(email=email, password_hash=hash_password(password), roles=[role])
    db.session.add(user)
    return user


def create_user(email: str, password: str, role_name: str, actor: audit.Actor) -> User:
    """Create a user with one role in the current tenant, audit it and commit."""
    user = add_user(email, password, role_by_name(role_name))
    db.session.flush()
    audit.record("user.created", actor, user, role=role_name)
    db.session.commit()
    return user


def live_owner_count() -> int:
    """How many active, undeleted owners the current tenant has."""
    return db.session.scalar(
        select(func.count(User.id)).join(user_roles).join(Role)
        .where(Role.name == permissions.OWNER, User.deleted_at.is_(None), User.is_active))


def is_owner(user: User) -> bool:
    return any(role.name == permissions.OWNER for role in user.roles)
