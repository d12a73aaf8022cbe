"""Second-factor use cases: a user's own factors (enrol TOTP, confirm, remove, new recovery
codes), an admin's reset of someone's, and the second step of a sign-in.

Each audits; :func:`begin_totp`, :func:`confirm_totp` and :func:`second_step` are steps of
a sign-in too, so their caller commits, and the others commit once. The second step is
throttled like passwords
(:func:`api.users.authentication.take_second_factor_attempt`); using a recovery code is
audited and mailed to the user, and so is an admin's reset.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from api import audit, mail
from api.audit import Actor
from api.db import utcnow
from api.errors import Conflict, DomainError
from api.extensions import db
from api.mfa import factors, policy, recovery, totp
from api.mfa.models import TotpFactor
from api.rbac.permissions import OWNER
from api.tenancy.models import Tenant
from api.users import authentication
from api.users.models import User


class WrongCode(DomainError):
    """A second step's answer that is wrong, used already, or of a factor the user lacks."""

    status = 401
    title = "Unauthorized"

    def __init__(self):
        super().__init__("That code is not valid. Codes work once; wait for the next one.",
                         {"code": ["is not valid"]})


def describe(tenant: Tenant, user: User) -> dict:
    """The user's factors, their unused recovery codes, and what the policy asks of them."""
    factor = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    return {"factors": [{"type": factors.TOTP, "created_at": factor.confirmed_at,
                         "last_used_at": factor.last_used_at}]
            if factor is not None and factor.confirmed_at else [],
            "recovery_codes_remaining": recovery.remaining(user.id),
            "policy": tenant.mfa_policy, "required": policy.required_of(tenant, user),
            "can_enrol": policy.may_enrol(tenant)}


def begin_totp(tenant: Tenant, user: User) -> dict:
    """Start (or show again) the user's TOTP enrolment: the secret for the manual key, the
    ``otpauth://`` URI and its QR code. Not active before :func:`confirm_totp`; the caller
    commits."""
    if not policy.may_enrol(tenant):
        raise Conflict("Second factors are switched off for this organisation.")
    factor = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("You already have an authenticator app; remove it first.")
    if factor is None:
        factor = TotpFactor(user_id=user.id, sealed_secret=totp.seal(totp.new_secret()))
        db.session.add(factor)
    secret = totp.secret_of(factor)
    uri = totp.provisioning_uri(secret, user.email, (tenant.branding or {}).get(
        "display_name") or tenant.name)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": totp.qr_svg(uri)}


def confirm_totp(tenant: Tenant, user: User, code: str, actor: Actor) -> list[str]:
    """Activate the enrolment with its first code; returns the new recovery codes (shown
    once) when the user had none left. The caller commits."""
    factor = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id,
                                                        TotpFactor.confirmed_at.is_(None)))
    if factor is None:
        raise Conflict("Start adding an authenticator app first.")
    if not totp.use(factor, code):
        raise WrongCode()
    factor.confirmed_at = utcnow()
    codes = recovery.first_codes(user.id)
    audit.record("mfa.totp_enrolled", actor, user)
    return codes


def regenerate_recovery_codes(user: User, actor: Actor) -> list[str]:
    """Ten new recovery codes (the old ones stop working), for a user with a factor."""
    if not factors.enrolled(user):
        raise Conflict("Add a second factor before recovery codes.")
    codes = recovery.replace(user.id)
    audit.record("mfa.recovery_codes_regenerated", actor, user)
    db.session.commit()
    return codes


def remove_totp(tenant: Tenant, user: User, actor: Actor) -> None:
    """Remove the user's authenticator app (or an enrolment in progress); refused for the
    last factor while the policy requires one. With no factor left, the recovery codes go."""
    factor = db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id))
    if factor is None:
        raise Conflict("You have no authenticator app.")
    if factor.confirmed_at and factors.enrolled(user) == [factors.TOTP] and \
            policy.required_of(tenant, user):
        raise Conflict("Your organisation requires a second factor: add another before "
                       "removing this one.")
    db.session.delete(factor)
    db.session.flush()
    if not factors.enrolled(user):
        recovery.discard(user.id)
    audit.record("mfa.totp_removed", actor, user)
    db.session.commit()


def reset(tenant: Tenant, user: User, actor: Actor, by: User | None) -> None:
    """An admin removes every second factor of ``user`` (after the write policy allowed the
    change): audited and mailed. An owner's last factor is theirs alone to remove."""
    if by is not None and by.id != user.id and factors.enrolled(user) and \
            any(role.name == OWNER for role in user.roles):
        raise Conflict("Only an owner can remove their own last second factor.")
    db.session.execute(delete(TotpFactor).where(TotpFactor.user_id == user.id))
    factors.remove_registered(user)
    recovery.discard(user.id)
    audit.record("mfa.factors_reset", actor, user)
    mail.send("factors_reset", user.email, tenant)
    db.session.commit()


def second_step(tenant: Tenant, user: User, factor_name: str, response: dict,
                ip: str | None) -> list[str]:
    """Check the second step of ``user``'s sign-in (throttled); returns the sign-in's
    ``amr``. The caller commits. A recovery code used is audited and mailed."""
    factor = factors.get(factor_name)
    clear, release = authentication.take_second_factor_attempt(tenant.id, user.email, ip)
    proven = factor.name in factors.usable(user) and factor.verify(user, response)
    if not proven:
        authentication.record_failure(tenant.id, "second_factor.failed", user.email)
        raise WrongCode()
    authentication.settle(clear, release)
    audit.record("second_factor.succeeded", Actor.of_user(user), user, factor=factor.name)
    if factor.name == factors.RECOVERY_CODE:
        left = recovery.remaining(user.id)
        audit.record("mfa.recovery_code_used", Actor.of_user(user), user, remaining=left)
        mail.send("recovery_code_used", user.email, tenant, remaining=left)
    return factors.amr(factor, proven)
