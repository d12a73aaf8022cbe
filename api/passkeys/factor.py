"""Passkeys as a second factor in :mod:`api.mfa.factors` (:func:`register_factor`, called
by the app factory): a user who has a passkey is enrolled, the second step offers WebAuthn
request options for their passkeys, and an assertion of one of them answers it, proving
``hwk`` or ``swk`` (RFC 8176)."""
from __future__ import annotations

from sqlalchemy import delete

from api.extensions import db
from api.mfa import factors
from api.passkeys import services
from api.passkeys.models import Passkey
from api.users.models import User


def options(user: User) -> dict:
    """Request options for the user's own passkeys (a challenge bound to the user)."""
    return services.begin_authentication(user)


def verify(user: User, response: dict) -> tuple[str, ...] | bool:
    """The methods an assertion (``response["credential"]``) of one of ``user``'s passkeys
    proves, or False (refusals are audited by :func:`api.passkeys.services.authenticate`)."""
    credential = response.get("credential")
    if not isinstance(credential, dict):
        return False
    try:
        passkey, _ = services.authenticate(credential, user)
    except services.PasskeyRejected:
        return False
    return (passkey.method,)


def remove_all(user: User) -> None:
    """An admin's reset of the user's second factors takes their passkeys too."""
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))


def register_factor() -> None:
    factors.register(factors.Factor(services.FACTOR, ("hwk",), services.passkey_held, verify,
                                    options=options, remove_all=remove_all))
