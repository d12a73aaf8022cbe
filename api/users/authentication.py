"""Signing in with email and password: argon2id verification behind throttling.

Every attempt takes its slots *before* the password is checked, in fixed
15-minute windows counted atomically in the database, so parallel guesses
cannot exceed a limit:

- per account and IP address: 5 failures, then that address is refused for
  that account until the window ends;
- per IP address: 100 attempts on any accounts, then that address is refused;
- per account, counting only attempts that passed both limits above (so one
  address adds at most 5): from the 21st failure on, every attempt on the
  account waits 0.1 s more per failure, at most 2 s (a slow-down against
  guessing spread over many addresses that still lets the owner in from their
  own place); past 500 failures, which takes at least 100 addresses, the account
  refuses everyone until the window ends.

Nobody can lock an account by hammering it from one address, and windows
expire, so no lockout is permanent.

The second step of a sign-in (a TOTP or recovery code, :mod:`api.mfa`) is throttled the
same way with counters of its own (:func:`take_second_factor_attempt`), except that the
account refuses everyone after :data:`SECOND_FACTOR_CEILING` failures in a window: six
digits are guessed faster than a password, and only someone who knows the password can
get that far. A success clears its account-and-address
count and gives back its other slots. Unknown users and wrong passwords get the
same error after the same work.
"""
from __future__ import annotations

import time
import uuid

import sqlalchemy as sa
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from api import audit
from api.db import utcnow
from api.errors import DomainError
from api.extensions import db
from api.ratelimit import services as ratelimit
from api.users.models import WITH_PERMISSIONS, User, normalize_email
from api.users.passwords import hash_password, needs_rehash, verify_password

WINDOW_SECONDS = 15 * 60
ACCOUNT_AND_IP_LIMIT = 5
IP_LIMIT = 100
SLOWDOWN_AFTER = 20
SLOWDOWN_STEP_SECONDS = 0.1
SLOWDOWN_MAX_SECONDS = 2.0
ACCOUNT_CEILING = 500
SECOND_FACTOR_CEILING = 20


class InvalidCredentials(DomainError):
    status = 401
    title = "Unauthorized"

    def __init__(self):
        super().__init__("The email or password is incorrect.")


class EmailNotVerified(DomainError):
    """The password was right, but the tenant wants a verified address first."""

    status = 403
    title = "Forbidden"

    def __init__(self, user: User):
        super().__init__("Verify your email address before you sign in: we sent you a link.")
        self.user = user


class SignInThrottled(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self):
        super().__init__("Too many failed sign-in attempts; try again in a few minutes.")


def authenticate(tenant_id: uuid.UUID, email: str, password: str, ip: str | None,
                 require_verified: bool = False) -> User:
    """The tenant's user with these credentials; failures are recorded, then raised.

    With ``require_verified`` (the tenant's setting), a user whose address is not
    verified is refused with :class:`EmailNotVerified`, after the password check.
    """
    email = normalize_email(email)
    clear, release = _take_attempt(tenant_id, email, ip)
    user = db.session.execute(select(User).options(WITH_PERMISSIONS).where(
        User.email == email, User.deleted_at.is_(None))).unique().scalar_one_or_none()
    verified = verify_password(user.password_hash if user else None, password)
    if not (verified and user.can_sign_in):
        record_failure(tenant_id, "sign_in.failed", email)
        raise InvalidCredentials()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    admit(tenant_id, user, require_verified, clear, release)
    return user


def take_ip_attempt(tenant_id: uuid.UUID, ip: str | None) -> list[str]:
    """Count an attempt that names no account (a passkey says who it is for) against the
    per-IP limit; SignInThrottled past it. Returns the key a success gives back."""
    ip_key = f"signin-ip:{ip}"
    if ratelimit.hit(ip_key, WINDOW_SECONDS) > IP_LIMIT:
        record_failure(tenant_id, "sign_in.throttled", "")
        raise SignInThrottled()
    return [ip_key]


def admit(tenant_id: uuid.UUID, user: User, require_verified: bool, clear: list[str],
          release: list[str], **details) -> None:
    """``user`` proved who they are: settle the attempt's throttle slots, refuse them with
    :class:`EmailNotVerified` if the tenant wants a verified address first, and record the
    sign-in (``details``: how, when not by password)."""
    settle(clear, release)
    if require_verified and not user.email_verified:
        record_failure(tenant_id, "sign_in.unverified", user.email)
        raise EmailNotVerified(user)
    now = utcnow()
    parameters = {"user": user.id, "tenant": tenant_id, "now": now, **audit.insert_parameters(
        "sign_in.succeeded", audit.Actor.of_user(user), user, tenant_id, **details)}
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_SIGNED_IN_AND_RECORDED, parameters)
    else:
        for statement in (_SIGNED_IN, audit.INSERT):
            db.session.execute(statement, parameters)
    set_committed_value(user, "last_sign_in_at", now)


_USERS = User.__table__
#: :func:`admit`'s writes, built once: the user's ``last_sign_in_at``, and on PostgreSQL the
#: ``sign_in.succeeded`` event's INSERT with it as a data-modifying CTE (one statement, in
#: the request's transaction; no ORM flush). Both name the tenant.
_SIGNED_IN = update(_USERS).where(
    _USERS.c.id == sa.bindparam("user", type_=_USERS.c.id.type),
    _USERS.c.tenant_id == sa.bindparam("tenant", type_=_USERS.c.tenant_id.type)
).values(last_sign_in_at=sa.bindparam("now", type_=_USERS.c.last_sign_in_at.type),
         updated_at=sa.bindparam("now", type_=_USERS.c.updated_at.type))
_SIGNED_IN_AND_RECORDED = audit.INSERT.add_cte(_SIGNED_IN.cte("signed_in"))


def confirm_password(tenant_id: uuid.UUID, user: User, password: str, ip: str | None) -> None:
    """Check a signed-in user's current password (before a sensitive change), throttled and
    recorded like a sign-in; InvalidCredentials when it is wrong."""
    clear, release = _take_attempt(tenant_id, user.email, ip)
    if not verify_password(user.password_hash, password):
        record_failure(tenant_id, "password_confirmation.failed", user.email)
        raise InvalidCredentials()
    settle(clear, release)


def take_second_factor_attempt(tenant_id: uuid.UUID, email: str,
                               ip: str | None) -> tuple[list[str], list[str]]:
    """Count a second-step attempt of the account ``email`` (see the module docstring);
    SignInThrottled past a limit. Returns what :func:`settle` takes after a success."""
    return _take_attempt(tenant_id, email, ip, "second-factor", SECOND_FACTOR_CEILING,
                         "second_factor.throttled")


def settle(clear: list[str], release: list[str]) -> None:
    """After a success: forget the account-and-address failures, give back the other slots."""
    ratelimit.settle(WINDOW_SECONDS, clear=clear, release=release)


def _take_attempt(tenant_id: uuid.UUID, email: str, ip: str | None, kind: str = "signin",
                  ceiling: int | None = None,
                  refused: str = "sign_in.throttled") -> tuple[list[str], list[str]]:
    """Count an attempt against the limits first, slowing it down past SLOWDOWN_AFTER;
    SignInThrottled past a limit (the account's: ``ceiling``, else ACCOUNT_CEILING). Returns
    the keys a success clears and gives back."""
    ceiling = ACCOUNT_CEILING if ceiling is None else ceiling
    account = f"{kind}:{tenant_id}:{email}"
    account_ip, ip_key = f"{account}:{ip}", f"signin-ip:{ip}"
    hits = ratelimit.hit_guarded({account_ip: ACCOUNT_AND_IP_LIMIT, ip_key: IP_LIMIT}, account,
                                 WINDOW_SECONDS)  # the account counts past both limits only
    failures = hits.get(account)
    if failures is None or failures > ceiling:
        record_failure(tenant_id, refused, email)
        raise SignInThrottled()
    if delay := slowdown(failures):  # sleep(0) would still give up the CPU
        time.sleep(delay)
    return [account_ip], [ip_key, account]


def slowdown(failures: int) -> float:
    """Seconds an attempt on an account waits after ``failures`` counted in the window."""
    beyond = failures - SLOWDOWN_AFTER
    return min(SLOWDOWN_MAX_SECONDS, SLOWDOWN_STEP_SECONDS * beyond) if beyond > 0 else 0.0


def record_failure(tenant_id: uuid.UUID, action: str, email: str) -> None:
    audit.record_now(action, audit.Actor.anonymous(email), tenant_id=tenant_id,
                     outcome=audit.FAILURE, email=email)
