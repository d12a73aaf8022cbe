"""Single-use account links: email verification, password reset, email change."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, UUIDPrimaryKey, utcnow
from api.extensions import db

VERIFY_EMAIL, RESET_PASSWORD, CHANGE_EMAIL = "verify_email", "reset_password", "change_email"


class AccountToken(UUIDPrimaryKey, TenantScoped, db.Model):
    """One link mailed to ``email`` for ``purpose``; the secret itself is never stored.

    A link is usable while it is neither used, nor revoked (a newer link of the
    same purpose, or a finished reset, revokes it), nor expired. Being
    tenant-owned, a link presented under another tenant's URL is simply unknown.
    """

    __tablename__ = "account_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The address the link was sent to (for an email change: the new one).
    email: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
