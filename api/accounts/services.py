"""Account use cases: sign-up, verification, password reset, email change, the profile.

Links are single-use secrets mailed to an address and stored only as SHA-256
digests (:class:`~api.accounts.models.AccountToken`): a verification or email
change link lives 24 hours, a reset link 30 minutes, a newer link of the same
purpose revokes the older ones, and a link is claimed atomically, so of two
concurrent uses exactly one wins. Every request that mails somebody is
throttled per address (or user) and per IP, and every step is audited (never
the link). Asking for a reset answers the same, after the same work, whether or
not the address belongs to somebody.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from api import audit, mail
from api.accounts.models import CHANGE_EMAIL, RESET_PASSWORD, VERIFY_EMAIL, AccountToken
from api.db import utcnow
from api.errors import Conflict, DomainError, InvalidInput, NotFound
from api.extensions import db
from api.ratelimit import services as ratelimit
from api.rbac import permissions
from api.rbac.services import role_by_name
from api.security import digest, generate_secret, matches_digest
from api.tenancy.models import Tenant
from api.users import authentication, signals
from api.users import services as users
from api.users.models import User, normalize_email

LIFETIMES = {VERIFY_EMAIL: timedelta(hours=24), RESET_PASSWORD: timedelta(minutes=30),
             CHANGE_EMAIL: timedelta(hours=24)}
#: The frontend page each link opens.
PAGES = {VERIFY_EMAIL: "verify-email", RESET_PASSWORD: "reset-password",
         CHANGE_EMAIL: "verify-email"}
PROFILE_FIELDS = ("name", "given_name", "family_name")
HOUR = 3600
#: (limit, window in seconds) per throttle.
SIGNUPS_PER_IP = (10, HOUR)
RESETS_PER_ADDRESS, RESETS_PER_IP = (5, HOUR), (50, HOUR)
MAILS_PER_USER, MAILS_PER_IP = (5, HOUR), (20, HOUR)
LINK_USES_PER_IP = (30, 15 * 60)
RESEND_AFTER = timedelta(minutes=10)
ANSWER = "If an account exists for that address, we sent it a link to reset the password."

_REASONS = {
    "unknown": "This link is not valid here. Check that you copied all of it, or ask for a "
               "new one.",
    "used": "This link was already used. Ask for a new one if you still need it.",
    "replaced": "A newer link replaced this one; use the newest mail.",
    "expired": "This link has expired. Ask for a new one.",
}


class Throttled(DomainError):
    status = 429
    title = "Too Many Requests"

    def __init__(self):
        super().__init__("Too many requests; try again later.")


class LinkInvalid(DomainError):
    """A link that is unknown (tampered, another tenant's), used, replaced or expired."""

    status = 410
    title = "Gone"

    def __init__(self, reason: str):
        super().__init__(_REASONS[reason], {"token": [reason]})
        self.status = 404 if reason == "unknown" else 410
        self.reason = reason


def _throttle(action: str, label: str, tenant: Tenant, **limits: tuple[int, int]) -> None:
    """Count a hit on each limit (``key=(limit, window)``); Throttled (and audited) past one."""
    over = [key for key, (limit, window) in limits.items()
            if ratelimit.hit(key, window) > limit]
    if over:
        audit.record_now(f"{action}.throttled", audit.Actor.anonymous(label), tenant_id=tenant.id)
        raise Throttled()


def _link(tenant: Tenant, purpose: str, secret: str) -> str:
    return (f"{current_app.config['PUBLIC_FRONTEND_URL']}/t/{tenant.slug}/{PAGES[purpose]}"
            f"?token={secret}")


def _issue(tenant: Tenant, user: User, purpose: str, email: str) -> str:
    """A new link for ``purpose``, revoking the user's older ones; its URL."""
    now = utcnow()
    _revoke_links(user, purpose, now)
    secret = generate_secret()
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=digest(secret),
                                email=email, expires_at=now + LIFETIMES[purpose]))
    return _link(tenant, purpose, secret)


def _revoke_links(user: User, purpose: str, now) -> None:
    db.session.execute(update(AccountToken).where(
        AccountToken.user_id == user.id, AccountToken.purpose == purpose,
        AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False))


def _usable(secret: str, purposes: set[str]) -> AccountToken:
    """The live link for ``secret`` (this tenant's, one of ``purposes``); LinkInvalid else."""
    row = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == digest(secret)))
    reason = None
    if row is None or row.purpose not in purposes or not matches_digest(secret, row.token_hash):
        reason = "unknown"
    elif row.used_at is not None:
        reason = "used"
    elif row.revoked_at is not None:
        reason = "replaced"
    elif row.expires_at <= utcnow():
        reason = "expired"
    if reason:
        audit.record_now("account_link.rejected", audit.Actor.anonymous(), row, reason=reason,
                         purpose=row.purpose if row else None)
        raise LinkInvalid(reason)
    return row


def _claim(row: AccountToken) -> None:
    """Mark the link used; of concurrent uses only one gets here without LinkInvalid."""
    now = utcnow()
    claimed = db.session.execute(update(AccountToken).where(
        AccountToken.id == row.id, AccountToken.used_at.is_(None),
        AccountToken.revoked_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        raise LinkInvalid("used")


def _send_verification(tenant: Tenant, user: User) -> None:
    mail.send("verify_email", user.email, tenant,
              link=_issue(tenant, user, VERIFY_EMAIL, user.email))
    audit.record("email_verification.sent", audit.Actor.of_user(user), user)


# Sign-up and verification ----------------------------------------------------

def sign_up(tenant: Tenant, data: dict, ip: str | None) -> User:
    """A new user with the tenant's default role; a verification mail goes out."""
    if not tenant.self_signup_enabled:
        raise NotFound("This tenant does not offer self-service sign-up.")
    _throttle("user.sign_up", data["email"], tenant, **{f"user-signup-ip:{ip}": SIGNUPS_PER_IP})
    profile = {field: data.get(field) or "" for field in PROFILE_FIELDS}
    user = users.add_user(data["email"], data["password"], role_by_name(permissions.USER),
                          tenant.password_min_length, profile)
    db.session.flush()
    audit.record("user.signed_up", audit.Actor.of_user(user), user, role=permissions.USER)
    _send_verification(tenant, user)
    db.session.commit()
    return user


def resend_verification(tenant: Tenant, user: User, ip: str | None) -> None:
    """Mail the user a new verification link (throttled per user and IP)."""
    if user.email_verified:
        raise Conflict("Your email address is already verified.")
    _throttle("email_verification", user.email, tenant, **{
        f"verify-user:{user.id}": MAILS_PER_USER, f"verify-ip:{ip}": MAILS_PER_IP})
    _send_verification(tenant, user)
    db.session.commit()


def resend_after_refused_sign_in(tenant: Tenant, user: User, ip: str | None) -> None:
    """The user proved the password but is not verified: a new link, unless one went out in
    the last :data:`RESEND_AFTER` (a new link would void the one on its way) or throttled."""
    recent = db.session.scalar(select(AccountToken.id).where(
        AccountToken.user_id == user.id, AccountToken.purpose == VERIFY_EMAIL,
        AccountToken.used_at.is_(None), AccountToken.revoked_at.is_(None),
        AccountToken.created_at > utcnow() - RESEND_AFTER).limit(1))
    if recent is not None:
        return
    try:
        resend_verification(tenant, user, ip)
    except Throttled:
        pass  # the sign-in is refused anyway; the mails already sent will do


def confirm_email(tenant: Tenant, secret: str) -> dict:
    """Follow a verification or email-change link; the address and what happened."""
    row = _usable(secret, {VERIFY_EMAIL, CHANGE_EMAIL})
    user = db.session.get(User, row.user_id)
    if user is None or not user.can_sign_in:
        raise LinkInvalid("unknown")
    _claim(row)
    if row.purpose == VERIFY_EMAIL:
        if user.email != row.email:  # the address changed since the link was sent
            raise LinkInvalid("replaced")
        user.email_verified = True
        audit.record("user.email_verified", audit.Actor.of_user(user), user)
    else:
        _change_email(tenant, user, row.email)
    db.session.commit()
    return {"email": user.email, "purpose": row.purpose}


def _change_email(tenant: Tenant, user: User, new_email: str) -> None:
    if users.email_taken(new_email):
        raise Conflict("That address now belongs to another account.")
    old_email = user.email
    user.email, user.email_verified, user.profile_updated_at = new_email, True, utcnow()
    audit.record("user.email_changed", audit.Actor.of_user(user), user, old_email=old_email,
                 new_email=new_email)
    mail.send("email_changed", old_email, tenant, new_email=new_email)


# Password reset ----------------------------------------------------------------

def request_password_reset(tenant: Tenant, email: str, ip: str | None) -> str:
    """Mail a reset link if ``email`` is a user's; the same answer and work either way."""
    email = normalize_email(email)
    _throttle("password_reset", email, tenant, **{
        f"reset:{tenant.id}:{email}": RESETS_PER_ADDRESS, f"reset-ip:{ip}": RESETS_PER_IP})
    user = db.session.scalar(select(User).where(User.email == email, User.deleted_at.is_(None)))
    if user is not None and user.can_sign_in:
        _send_reset(tenant, user, audit.Actor.anonymous(email))
    else:  # compose a mail that goes nowhere, so that both answers take the same time
        mail.messages.compose("reset_password", email, tenant,
                              link=_link(tenant, RESET_PASSWORD, generate_secret()))
        audit.record("password_reset.requested", audit.Actor.anonymous(email),
                     tenant_id=tenant.id, outcome=audit.FAILURE, reason="unknown address")
    db.session.commit()
    return ANSWER


def send_password_reset(tenant: Tenant, user: User, actor: audit.Actor) -> None:
    """An administrator mails a user a reset link."""
    if not user.can_sign_in:
        raise Conflict("This user cannot sign in; activate them first.")
    _send_reset(tenant, user, actor)
    db.session.commit()


def _send_reset(tenant: Tenant, user: User, actor: audit.Actor) -> None:
    mail.send("reset_password", user.email, tenant,
              link=_issue(tenant, user, RESET_PASSWORD, user.email))
    audit.record("password_reset.requested", actor, user)


def check_reset_link(tenant: Tenant, secret: str) -> dict:
    """Whether a reset link still works (nothing is used up); the address it is for."""
    return {"email": _usable(secret, {RESET_PASSWORD}).email}


def reset_password(tenant: Tenant, secret: str, password: str, ip: str | None) -> dict:
    """Set a new password through a reset link: every grant, refresh token and sign-in
    session of the user ends, and the user is told by mail."""
    _throttle("password_reset.link", "", tenant, **{f"reset-link-ip:{ip}": LINK_USES_PER_IP})
    row = _usable(secret, {RESET_PASSWORD})
    user = db.session.get(User, row.user_id)
    if user is None or not user.can_sign_in or user.email != row.email:
        raise LinkInvalid("unknown")
    users.set_password(user, password, tenant.password_min_length)
    _claim(row)
    now = utcnow()
    _revoke_links(user, RESET_PASSWORD, now)
    user.email_verified = True  # the link reached this address
    actor = audit.Actor.of_user(user)
    audit.record("user.password_reset", actor, user)
    signals.password_changed.send(user, actor=actor, keep=None)
    mail.send("password_changed", user.email, tenant)
    db.session.commit()
    return {"email": user.email}


# The signed-in user's own account ------------------------------------------------

def update_profile(user: User, changes: dict, actor: audit.Actor) -> User:
    """Change the profile claims (name, given_name, family_name)."""
    changed = {field: value for field, value in changes.items()
               if field in PROFILE_FIELDS and getattr(user, field) != value}
    if changed:
        for field, value in changed.items():
            setattr(user, field, value)
        user.profile_updated_at = utcnow()
        audit.record("user.profile_updated", actor, user, fields=sorted(changed))
    db.session.commit()
    return user


def request_email_change(tenant: Tenant, user: User, new_email: str, password: str,
                         ip: str | None) -> None:
    """Mail a confirmation link to ``new_email``; the address changes once it is followed."""
    try:
        authentication.confirm_password(tenant.id, user, password, ip)
    except authentication.InvalidCredentials:
        raise InvalidInput("current_password", "is not your current password") from None
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise InvalidInput("email", "is already your address")
    if users.email_taken(new_email):
        raise Conflict("That address belongs to another account.")
    _throttle("email_change", user.email, tenant, **{
        f"email-change-user:{user.id}": MAILS_PER_USER, f"email-change-ip:{ip}": MAILS_PER_IP})
    mail.send("confirm_email_change", new_email, tenant, old_email=user.email,
              link=_issue(tenant, user, CHANGE_EMAIL, new_email))
    audit.record("email_change.requested", audit.Actor.of_user(user), user, new_email=new_email)
    db.session.commit()
