"""Signing in with email and password: argon2id verification behind throttling.

Failed attempts are throttled per account and IP, per account, and per IP,
in fixed 15-minute windows counted atomically in the database; every attempt
takes its slot *before* the password is checked, so parallel guesses cannot
exceed the limit. Windows expire, so nobody can lock an account permanently.
Unknown users and wrong passwords get the same error after the same work.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select

from api import audit
from api.db import utcnow
from api.errors import DomainError
from api.extensions import db
from api.ratelimit import services as ratelimit
from api.users.models import WITH_PERMISSIONS, User, normalize_email
from api.users.passwords import hash_password, needs_rehash, verify_password

WINDOW_SECONDS = 15 * 60
ACCOUNT_AND_IP_LIMIT = 5
ACCOUNT_LIMIT = 20
IP_LIMIT = 100


class InvalidCredentials(DomainError):
    status = 401
    title = "Unauthorized"

    def __init__(self):
        super().__init__("The email or password is incorrect.")


class SignInThrottled(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self):
        super().__init__("Too many failed sign-in attempts; try again in a few minutes.")


def authenticate(tenant_id: uuid.UUID, email: str, password: str, ip: str | None) -> User:
    """The tenant's user with these credentials; failures are recorded, then raised."""
    email = normalize_email(email)
    account_keys = [f"signin:{tenant_id}:{email}:{ip}", f"signin:{tenant_id}:{email}"]
    ip_key = f"signin-ip:{ip}"
    limits = dict(zip([*account_keys, ip_key], [ACCOUNT_AND_IP_LIMIT, ACCOUNT_LIMIT, IP_LIMIT]))
    hits = ratelimit.hit_all(list(limits), WINDOW_SECONDS)
    if any(hits[key] > limit for key, limit in limits.items()):
        _fail(tenant_id, "sign_in.throttled", email)
        raise SignInThrottled()
    user = db.session.execute(select(User).options(WITH_PERMISSIONS).where(
        User.email == email, User.deleted_at.is_(None))).unique().scalar_one_or_none()
    verified = verify_password(user.password_hash if user else None, password)
    if not (verified and user.can_sign_in):
        _fail(tenant_id, "sign_in.failed", email)
        raise InvalidCredentials()
    ratelimit.settle(WINDOW_SECONDS, clear=account_keys, release=[ip_key])
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    audit.record("sign_in.succeeded", audit.Actor.of_user(user), user)
    return user


def _fail(tenant_id: uuid.UUID, action: str, email: str) -> None:
    audit.record_now(action, audit.Actor.anonymous(email), tenant_id=tenant_id,
                     outcome=audit.FAILURE, email=email)
