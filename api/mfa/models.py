"""A user's second factors: a TOTP authenticator and single-use recovery codes."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, UUIDPrimaryKey, utcnow
from api.extensions import db


def _user_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class TotpFactor(UUIDPrimaryKey, TenantScoped, db.Model):
    """A user's TOTP authenticator (RFC 6238), one per user.

    The shared secret is sealed (:data:`api.extensions.totp_sealer`), since codes are
    computed from it. Until ``confirmed_at`` (the first right code) it is only an
    enrolment in progress and never accepted at sign-in. ``last_used_step`` is the
    time step of the last accepted code: a code of that step or an earlier one is
    refused, so each code works once (RFC 6238 §5.2).
    """

    __tablename__ = "totp_factors"
    __table_args__ = (sa.UniqueConstraint("user_id"),)

    user_id: Mapped[uuid.UUID] = _user_fk()
    sealed_secret: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_used_at: Mapped[datetime | None]


class RecoveryCode(UUIDPrimaryKey, TenantScoped, db.Model):
    """One single-use recovery code, stored as its SHA-256 digest; ``used_at`` once used."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = _user_fk()
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
