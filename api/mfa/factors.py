"""The registry of second factors: which a user has, how a second step is checked, and
which ``amr`` values (RFC 8176 §2) a success adds.

Sign-in and the account API know factors only through this registry, so another kind (a
passkey) is one :func:`register` call: a :class:`Factor` says whether a user has it (as
SQL, so that :func:`enrolled` asks about every factor in one query),
checks a response (consuming it: every response works once), and may give the second-step
page what it needs first (``options``: a WebAuthn challenge, say).

Built in:

- ``totp``: an authenticator app's code (:mod:`api.mfa.totp`), ``otp``;
- ``passkey``: registered by :mod:`api.passkeys.factor` when the app starts (passkeys
  use recovery codes, so they sit above this package); ``hwk`` or ``swk``;
- ``recovery_code``: one of the user's single-use recovery codes (:mod:`api.mfa.recovery`),
  ``otp`` too: RFC 8176 defines ``otp`` as a one-time password, which a single-use code
  from a list the user keeps is; it is a fallback, not a factor one enrols
  (``primary=False``), and a user has it only while they have a primary factor.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import select

from api.errors import InvalidInput
from api.extensions import db
from api.mfa import recovery, totp
from api.mfa.models import TotpFactor
from api.users.models import User

TOTP, RECOVERY_CODE = "totp", "recovery_code"
#: RFC 8176 §2: the password, and a sign-in by more than one factor.
PASSWORD_AMR, MFA_AMR = "pwd", "mfa"


@dataclass(frozen=True)
class Factor:
    name: str
    #: RFC 8176 values a successful step with this factor adds (``mfa`` is added for all).
    amr: tuple[str, ...]
    #: SQL: whether the user with this id has the factor (an EXISTS), see :meth:`has`.
    held: Callable[[uuid.UUID], sa.Exists]
    #: Check the step's response (the request body) for the user, consuming it on success:
    #: falsy when refused; else True, or the ``amr`` values this very response proved when
    #: they depend on it (a passkey: ``hwk`` or ``swk``), in place of ``amr``.
    verify: Callable[[User, dict], bool | tuple[str, ...]]
    #: Whether it counts as an enrolled second factor (not a fallback).
    primary: bool = True
    #: What the second-step page needs before the user answers (none by default).
    options: Callable[[User], dict] | None = None
    #: Remove every one of the user's factors of this kind (an admin's reset); the built-in
    #: ones are removed by :func:`api.mfa.services.reset` itself.
    remove_all: Callable[[User], None] | None = None

    def has(self, user: User) -> bool:
        return db.session.scalar(select(self.held(user.id)))


_REGISTRY: dict[str, Factor] = {}


def register(factor: Factor) -> None:
    _REGISTRY[factor.name] = factor


def get(name: str) -> Factor:
    """The factor called ``name``; InvalidInput (naming the ``factor`` field) if none is."""
    if name not in _REGISTRY:
        raise InvalidInput("factor", f"must be one of {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def enrolled(user: User) -> list[str]:
    """The primary factors the user has (an enrolment in progress does not count), read in
    one query."""
    primary = [f for f in _REGISTRY.values() if f.primary]
    held = db.session.execute(select(*(f.held(user.id) for f in primary))).one()
    return [f.name for f, has in zip(primary, held) if has]


def usable(user: User) -> list[str]:
    """Every factor the user could answer a second step with now (fallbacks included, while
    the user has a primary factor)."""
    return [f.name for f in _REGISTRY.values() if f.has(user)] if enrolled(user) else []


def options(user: User) -> dict:
    """What the second-step page needs, by factor."""
    return {f.name: f.options(user) for f in _REGISTRY.values()
            if f.options is not None and f.has(user)}


def remove_registered(user: User) -> None:
    """Remove the user's factors of the kinds registered from outside this package."""
    for factor in _REGISTRY.values():
        if factor.remove_all is not None:
            factor.remove_all(user)


def amr(factor: Factor, proven: bool | tuple[str, ...] = True) -> list[str]:
    """The ``amr`` of a sign-in by password and then ``factor`` (whose ``verify`` returned
    ``proven``)."""
    return [PASSWORD_AMR, *(proven if isinstance(proven, tuple) else factor.amr), MFA_AMR]


def confirmed_totp(user: User) -> TotpFactor | None:
    return db.session.scalar(select(TotpFactor).where(TotpFactor.user_id == user.id,
                                                      TotpFactor.confirmed_at.is_not(None)))


def _verify_totp(user: User, response: dict) -> bool:
    factor = confirmed_totp(user)
    return factor is not None and totp.use(factor, str(response.get("code", "")))


def _verify_recovery_code(user: User, response: dict) -> bool:
    return recovery.use(user.id, str(response.get("code", "")))


def _totp_held(user_id: uuid.UUID) -> sa.Exists:
    return select(TotpFactor.id).where(TotpFactor.user_id == user_id,
                                       TotpFactor.confirmed_at.is_not(None)).exists()


register(Factor(TOTP, ("otp",), _totp_held, _verify_totp))
register(Factor(RECOVERY_CODE, ("otp",), recovery.held, _verify_recovery_code, primary=False))
