"""Passkey use cases: register, list, rename and remove a user's passkeys, and check an
assertion (WebAuthn Level 3 §7), all through py_webauthn.

The relying party is the frontend, where the ceremonies run: the RP ID is the host of
``PUBLIC_FRONTEND_URL`` and the only origin accepted is that URL's scheme, host and
port. Each ceremony gets a random 32-byte challenge, stored only as a digest
(:class:`~api.passkeys.models.PasskeyChallenge`) and usable once, for
:data:`LIFETIME`: the answer names its challenge (in ``clientDataJSON``), which is
claimed atomically and for good before the answer is checked, so of two answers to one
challenge only one is ever checked, and a refused answer uses its challenge up too.

User verification is preferred for every ceremony and required when a passkey stands
in for the password. The signature counter must grow: an authenticator that reports a
counter not above the stored one (when either is non-zero) may have been cloned, so
the assertion is refused and the refusal audited (§6.1.1). Every registration,
rename, removal, use and refusal is audited; a new passkey is mailed to its user.
"""
from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta
from typing import NoReturn
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import func, select, update
from webauthn import (generate_authentication_options, generate_registration_options,
                      options_to_json, verify_authentication_response,
                      verify_registration_response)
from webauthn.helpers import (base64url_to_bytes, bytes_to_base64url,
                              parse_client_data_json)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, AuthenticatorTransport,
                                      PublicKeyCredentialDescriptor, ResidentKeyRequirement,
                                      UserVerificationRequirement)

from api import audit, mail
from api.db import independent_transaction, utcnow
from api.errors import Conflict, DomainError, NotFound
from api.extensions import db
from api.mfa import factors, policy, recovery
from api.passkeys.models import AUTHENTICATE, REGISTER, Passkey, PasskeyChallenge
from api.security import digest
from api.tenancy.models import Tenant
from api.users.models import User

LIFETIME = timedelta(minutes=5)
#: How long the browser waits for the person (ms); the challenge outlives it.
TIMEOUT = 180_000
#: Passkeys one user may hold.
LIMIT = 20
TRANSPORTS = {transport.value for transport in AuthenticatorTransport}
#: Its name among the second factors of :mod:`api.mfa.factors`.
FACTOR = "passkey"


class PasskeyRejected(DomainError):
    """An answer to a ceremony that does not hold: malformed, unknown, replayed, forged."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, detail: str = "The passkey could not be verified. Try again."):
        super().__init__(detail, {"credential": [detail]})


def relying_party() -> tuple[str, str]:
    """``(rp_id, origin)`` from ``PUBLIC_FRONTEND_URL``: its host, and its origin."""
    url = urlsplit(current_app.config["PUBLIC_FRONTEND_URL"])
    return url.hostname, f"{url.scheme}://{url.netloc}"


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id),
        transports=[AuthenticatorTransport(name) for name in passkey.transports
                    if name in TRANSPORTS])


def _start(purpose: str, user: User | None, binding: str | None = None,
           verification_required: bool = False) -> bytes:
    """A new challenge for a ceremony (added to the session; the caller commits)."""
    challenge = secrets.token_bytes(32)
    db.session.add(PasskeyChallenge(
        challenge_hash=digest(bytes_to_base64url(challenge)), purpose=purpose,
        user_id=user.id if user else None, binding=digest(binding) if binding else None,
        user_verification_required=verification_required, expires_at=utcnow() + LIFETIME))
    return challenge


def _as_dict(options) -> dict:
    return json.loads(options_to_json(options))


def _claim(credential: dict, purpose: str, user: User | None,
           binding: str | None) -> tuple[PasskeyChallenge, bytes]:
    """The live challenge ``credential`` answers, marked used; PasskeyRejected when it is
    unknown, another ceremony's (purpose, user, binding), used or expired."""
    try:
        challenge = parse_client_data_json(
            base64url_to_bytes(credential["response"]["clientDataJSON"])).challenge
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise PasskeyRejected("The passkey's answer is malformed.") from None
    row = db.session.scalar(select(PasskeyChallenge).where(
        PasskeyChallenge.challenge_hash == digest(bytes_to_base64url(challenge))))
    now = utcnow()
    if (row is None or row.purpose != purpose or row.user_id != (user.id if user else None)
            or row.binding != (digest(binding) if binding else None)):
        raise PasskeyRejected("This passkey request is unknown; start again.")
    with independent_transaction(db.session) as connection:  # used, even if refused below
        claimed = connection.execute(update(PasskeyChallenge.__table__).where(
            PasskeyChallenge.id == row.id, PasskeyChallenge.used_at.is_(None),
            PasskeyChallenge.expires_at > now).values(used_at=now)).rowcount
    if claimed != 1:
        raise PasskeyRejected("This passkey request was already used or has expired; start "
                              "again.")
    return row, challenge


# The signed-in user's passkeys ---------------------------------------------------

def list_passkeys(user: User):
    """A statement for the user's passkeys, newest first."""
    return select(Passkey).where(Passkey.user_id == user.id).order_by(
        Passkey.created_at.desc(), Passkey.id)


def get_passkey(user: User, passkey_id: uuid.UUID) -> Passkey:
    passkey = db.session.scalar(select(Passkey).where(Passkey.id == passkey_id,
                                                      Passkey.user_id == user.id))
    if passkey is None:
        raise NotFound("There is no such passkey.")
    return passkey


def begin_registration(tenant: Tenant, user: User) -> dict:
    """``PublicKeyCredentialCreationOptions`` (JSON) for a new passkey of ``user``: a
    discoverable credential preferred, so that it can sign in without a name, and the
    user's existing passkeys excluded (one per authenticator). A passkey is a second
    factor, so none is added while the tenant's MFA policy is ``off``."""
    if not policy.may_enrol(tenant):
        raise Conflict("Second factors are switched off for this organisation, passkeys "
                       "included.")
    existing = db.session.scalars(list_passkeys(user)).all()
    if len(existing) >= LIMIT:
        raise Conflict(f"You have {LIMIT} passkeys already; remove one first.")
    rp_id, _ = relying_party()
    options = generate_registration_options(
        rp_id=rp_id, rp_name=tenant.name, user_id=user.id.bytes, user_name=user.email,
        user_display_name=user.name or user.email, challenge=_start(REGISTER, user),
        timeout=TIMEOUT, exclude_credentials=[_descriptor(passkey) for passkey in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED))
    db.session.commit()
    return _as_dict(options)


def finish_registration(tenant: Tenant, user: User, credential: dict, name: str,
                        actor: audit.Actor) -> tuple[Passkey, list[str]]:
    """Check the authenticator's answer to :func:`begin_registration` and keep the passkey
    (attestation ``none`` is asked for: Tessera trusts the user's choice of authenticator,
    not its vendor). The user is told by mail. A passkey is a second factor: a user
    without recovery codes gets them now, returned once
    (:func:`api.mfa.recovery.first_codes`)."""
    _, challenge = _claim(credential, REGISTER, user, None)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin)
    except Exception as error:  # whatever fails to verify is refused, never a 5xx
        audit.record_now("passkey.registration_rejected", actor, user, reason=str(error)[:200])
        raise PasskeyRejected() from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise Conflict("This passkey is registered already.")
    transports = credential["response"].get("transports") or []
    passkey = Passkey(user_id=user.id, credential_id=credential_id,
                      public_key=verified.credential_public_key,
                      sign_count=verified.sign_count,
                      transports=[name for name in transports if name in TRANSPORTS],
                      backup_eligible=verified.credential_device_type == "multi_device",
                      name=name)
    db.session.add(passkey)
    db.session.flush()
    codes = recovery.first_codes(user.id)
    mail.send("passkey_added", user.email, tenant, name=name)
    audit.record("passkey.registered", actor, user, passkey_id=str(passkey.id), name=name,
                 user_verified=verified.user_verified, method=passkey.method,
                 recovery_codes_issued=bool(codes))
    db.session.commit()
    return passkey, codes


def rename(user: User, passkey_id: uuid.UUID, name: str, actor: audit.Actor) -> Passkey:
    passkey = get_passkey(user, passkey_id)
    if passkey.name != name:
        audit.record("passkey.renamed", actor, user, passkey_id=str(passkey.id),
                     old_name=passkey.name, name=name)
        passkey.name = name
    db.session.commit()
    return passkey


def passkey_held(user_id: uuid.UUID) -> sa.Exists:
    """SQL: whether the user has a passkey."""
    return select(Passkey.id).where(Passkey.user_id == user_id).exists()


def remove(tenant: Tenant, user: User, passkey_id: uuid.UUID, actor: audit.Actor) -> None:
    """Remove a passkey; refused for the user's last second factor while the tenant's policy
    requires one. With no factor left, their recovery codes go too."""
    passkey = get_passkey(user, passkey_id)
    others = db.session.scalar(select(func.count()).select_from(Passkey).where(
        Passkey.user_id == user.id, Passkey.id != passkey.id))
    if not others and factors.enrolled(user) == [FACTOR] and policy.required_of(tenant, user):
        raise Conflict("Your organisation requires a second factor: add another before "
                       "removing this passkey.")
    audit.record("passkey.removed", actor, user, passkey_id=str(passkey.id), name=passkey.name)
    db.session.delete(passkey)
    db.session.flush()
    if not factors.enrolled(user):
        recovery.discard(user.id)
    db.session.commit()


# Signing in with a passkey ------------------------------------------------------------

def begin_authentication(user: User | None, binding: str | None = None) -> dict:
    """``PublicKeyCredentialRequestOptions`` (JSON), for ``binding`` (a sign-in challenge)
    when given.

    With ``user`` (a second factor after the password): their passkeys, user
    verification preferred. Without (passwordless): any discoverable credential, and the
    user must be verified, since the passkey is then both factors.
    """
    rp_id, _ = relying_party()
    passkeys = db.session.scalars(list_passkeys(user)).all() if user else []
    options = generate_authentication_options(
        rp_id=rp_id, challenge=_start(AUTHENTICATE, user, binding, user is None),
        timeout=TIMEOUT, allow_credentials=[_descriptor(passkey) for passkey in passkeys],
        user_verification=UserVerificationRequirement.PREFERRED if user
        else UserVerificationRequirement.REQUIRED)
    db.session.commit()
    return _as_dict(options)


def authenticate(credential: dict, user: User | None,
                 binding: str | None = None) -> tuple[Passkey, bool]:
    """Check an assertion answering :func:`begin_authentication`: the passkey it was made
    with and whether the user was verified. PasskeyRejected (audited) otherwise; the
    caller commits the passkey's new counter with the sign-in."""
    row, challenge = _claim(credential, AUTHENTICATE, user, binding)
    passkey = _known_passkey(credential, user)
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # checked below, to audit a regression
            require_user_verification=row.user_verification_required)
    except Exception as error:  # whatever fails to verify is refused, never a 5xx
        _refuse(passkey, "passkey.rejected", reason=str(error)[:200])
    if (verified.new_sign_count or passkey.sign_count) and \
            verified.new_sign_count <= passkey.sign_count:
        _refuse(passkey, "passkey.counter_regressed", stored=passkey.sign_count,
                presented=verified.new_sign_count)
    passkey.sign_count, passkey.last_used_at = verified.new_sign_count, utcnow()
    audit.record("passkey.used", audit.Actor.of_user(passkey.user), passkey.user,
                 passkey_id=str(passkey.id), user_verified=verified.user_verified)
    return passkey, verified.user_verified


def _known_passkey(credential: dict, user: User | None) -> Passkey:
    """The passkey the assertion names, this tenant's (and ``user``'s, when given) and of
    a user who may sign in; for a passwordless sign-in the user handle must name its user
    (WebAuthn §7.2 step 6)."""
    try:
        credential_id = bytes_to_base64url(base64url_to_bytes(credential["rawId"]))
        handle = credential["response"].get("userHandle")
        user_handle = base64url_to_bytes(handle) if handle else None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PasskeyRejected("The passkey's answer is malformed.") from None
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    if passkey is None or (user is not None and passkey.user_id != user.id):
        audit.record_now("passkey.rejected", audit.Actor.anonymous(user.email if user else ""),
                         user, reason="unknown credential")
        raise PasskeyRejected("This passkey is not registered here.")
    if user_handle != passkey.user_id.bytes and (user is None or user_handle is not None):
        _refuse(passkey, "passkey.rejected", reason="user handle does not match")
    if not passkey.user.can_sign_in:
        _refuse(passkey, "passkey.rejected", reason="user cannot sign in")
    return passkey


def _refuse(passkey: Passkey, action: str, **details) -> NoReturn:
    audit.record_now(action, audit.Actor.of_user(passkey.user), passkey.user,
                     passkey_id=str(passkey.id), **details)
    raise PasskeyRejected()


def methods(passkey: Passkey, user_verified: bool) -> list[str]:
    """The RFC 8176 ``amr`` values a passkey sign-in proves: the key (``hwk``/``swk``),
    and, when the authenticator verified the user (PIN or biometrics), ``mfa``: something
    they have and something they know or are."""
    return [passkey.method, "mfa"] if user_verified else [passkey.method]
