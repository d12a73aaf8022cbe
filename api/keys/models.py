"""Per-tenant signing keys and the life each one goes through (see :mod:`api.keys.services`)."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, UUIDPrimaryKey, tenant_fk, utcnow
from api.extensions import db


class SigningKey(UUIDPrimaryKey, TenantScoped, db.Model):
    """A tenant's JWS key pair; the private half is encrypted with the SECRET_KEY.

    Published (in the JWKS) from its creation until ``publish_until`` once retired,
    never once revoked; the signing key from ``activates_at`` until ``retired_at``,
    when a successor takes over.
    """

    __tablename__ = "signing_keys"
    #: The bearer check asks for a key by ``kid`` within the tenant: one index condition,
    #: statistics or not (``kid`` stays unique across tenants too).
    __table_args__ = (sa.Index("uq_signing_keys_tenant_id_kid", "tenant_id", "kid", unique=True),)

    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16))
    private_key_encrypted: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When it becomes the signing key: at once, or after a pre-publication delay.
    activates_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When its successor takes over (may lie ahead while the successor is pre-published).
    retired_at: Mapped[datetime | None]
    #: A retired key stays published until every token it signed has expired.
    publish_until: Mapped[datetime | None]
    #: Compromised: out of the JWKS at once, and no token it signed verifies.
    revoked_at: Mapped[datetime | None]

    def is_published(self, now: datetime) -> bool:
        """Whether the key belongs in the tenant's JWKS at ``now``."""
        return self.revoked_at is None and (self.publish_until is None or self.publish_until > now)

    @classmethod
    def published_at(cls, now: datetime):
        """:meth:`is_published` as an SQL condition."""
        return sa.and_(cls.revoked_at.is_(None),
                       sa.or_(cls.publish_until.is_(None), cls.publish_until > now))

    @classmethod
    def signing_at(cls, now: datetime):
        """SQL condition: the key may sign at ``now`` (the newest such key does)."""
        return sa.and_(cls.revoked_at.is_(None), cls.activates_at <= now,
                       sa.or_(cls.retired_at.is_(None), cls.retired_at > now))
