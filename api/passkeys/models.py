"""A user's passkeys and the single-use challenges of WebAuthn ceremonies."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import TenantScoped, UUIDPrimaryKey, utcnow
from api.extensions import db
from api.users.models import User

#: What a challenge is for: adding a passkey, or signing in with one.
REGISTER, AUTHENTICATE = "register", "authenticate"


class Passkey(UUIDPrimaryKey, TenantScoped, db.Model):
    """One public-key credential of a user (WebAuthn §6.4, a "credential record").

    Being tenant-owned, a credential registered in one tenant is unknown in every other:
    the same authenticator registered in two tenants makes two unrelated rows.
    """

    __tablename__ = "passkeys"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "credential_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    #: The credential id, base64url without padding (as browsers send ``rawId``).
    credential_id: Mapped[str] = mapped_column(sa.String(1400))
    #: The COSE public key the authenticator returned at registration.
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    #: ``usb``, ``nfc``, ``ble``, ``internal``, ``hybrid``: hints for the browser.
    transports: Mapped[list] = mapped_column(default=list)
    #: Backup eligible (WebAuthn §6.1, the BE flag): a synced passkey, kept in software
    #: across devices, rather than bound to one authenticator's hardware.
    backup_eligible: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined", viewonly=True)

    @property
    def method(self) -> str:
        """Its RFC 8176 ``amr`` value: ``swk`` for a synced passkey (a software-secured
        key), ``hwk`` for one bound to its authenticator (a hardware-secured key)."""
        return "swk" if self.backup_eligible else "hwk"


class PasskeyChallenge(UUIDPrimaryKey, TenantScoped, db.Model):
    """The challenge of one ceremony in progress (WebAuthn §13.4.3): random, stored only as
    a digest, usable once, for :data:`LIFETIME` (see :mod:`api.passkeys.services`).

    ``user_id`` is the user the ceremony is for (None for a passwordless sign-in, where
    the authenticator says who); ``binding`` is the digest of what it belongs to (a
    sign-in challenge), so that it cannot be answered for anything else.
    """

    __tablename__ = "passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    binding: Mapped[str | None] = mapped_column(sa.String(64))
    #: Whether the user must be verified (a passkey standing in for the password).
    user_verification_required: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
