"""User use cases."""
from __future__ import annotations

from sqlalchemy import select

from api import audit
from api.errors import Conflict, InvalidInput
from api.extensions import db
from api.rbac.models import Role
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
    """Create a user with one role in the current tenant."""
    user = add_user(email, password, role_by_name(role_name))
    db.session.flush()
    audit.record("user.created", actor, user, role=role_name)
    db.session.commit()
    return user
