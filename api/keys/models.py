"""Per-tenant signing keys."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, UUIDPrimaryKey, utcnow
from api.extensions import db


class SigningKey(UUIDPrimaryKey, TenantScoped, db.Model):
    """A tenant's JWS key pair; the private half is encrypted with the SECRET_KEY."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    private_key_encrypted: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    #: A retired key stays published until every token it signed has expired.
    publish_until: Mapped[datetime | None]

    def is_published(self, now: datetime) -> bool:
        """Whether the key belongs in the tenant's JWKS at ``now``."""
        return self.is_active or (self.publish_until is not None and self.publish_until > now)
