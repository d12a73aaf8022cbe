"""Users of a tenant, whoever asks: adding them, the password policy, owners.

The tenant REST API's use cases (:mod:`api.v1.users`) apply the caller's
ceilings on top of these.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from api import audit
from api.errors import Conflict, InvalidInput
from api.extensions import db
from api.rbac import permissions
from api.rbac.models import Role, user_roles
from api.rbac.services import role_by_name
from api.users.models import User, normalize_email
from api.users.passwords import MIN_LENGTH, hash_password, password_problem


def check_password_policy(password: str, min_length: int = MIN_LENGTH,
                          user_inputs: Iterable[str] = (), field: str = "password") -> None:
    """Raise InvalidInput (on ``field``) when ``password`` is too weak, saying why.

    ``min_length`` is the tenant's; ``user_inputs`` are the user's own details
    (email, names, tenant), which make a password easier to guess.
    """
    problem = password_problem(password, min_length, user_inputs)
    if problem:
        raise InvalidInput(field, problem)


def personal_words(user: User) -> list[str]:
    """What an attacker knows about ``user`` and would try first."""
    return [user.email, user.name, user.given_name, user.family_name]


def set_password(user: User, password: str, min_length: int) -> None:
    """Check ``password`` against the policy and the user's own details, then store it."""
    check_password_policy(password, min_length, personal_words(user))
    user.password_hash = hash_password(password)


def email_taken(email: str) -> bool:
    """Whether a live user of the current tenant has ``email``."""
    return db.session.scalar(select(User.id).where(User.email == normalize_email(email),
                                                   User.deleted_at.is_(None))) is not None


def add_user(email: str, password: str, role: Role, min_length: int = MIN_LENGTH,
             profile: dict | None = None) -> User:
    """Add a user to the current tenant's session (no commit); the caller commits."""
    email = normalize_email(email)
    user = User(email=email, roles=[role], **(profile or {}))
    set_password(user, password, min_length)
    if email_taken(email):
        raise Conflict(f"a user with email {email} already exists")
    db.session.add(user)
    return user


def create_user(email: str, password: str, role_name: str, actor: audit.Actor,
                min_length: int = MIN_LENGTH, profile: dict | None = None) -> User:
    """Create a user with one role in the current tenant, audit it and commit."""
    user = add_user(email, password, role_by_name(role_name), min_length, profile)
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
