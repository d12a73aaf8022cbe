"""The tenant: the root every other row belongs to."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Timestamped, UUIDPrimaryKey
from api.extensions import db
from identifiers import SLUG

#: A tenant slug: lowercase letters, digits and hyphens, 2 to 63 characters.
SLUG_PATTERN = rf"^{SLUG}$"

DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
DEFAULT_REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600


class Tenant(UUIDPrimaryKey, Timestamped, db.Model):
    """A customer: its own users, roles, clients, keys and issuer."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    access_token_lifetime: Mapped[int] = mapped_column(default=DEFAULT_ACCESS_TOKEN_LIFETIME)
    refresh_token_lifetime: Mapped[int] = mapped_column(default=DEFAULT_REFRESH_TOKEN_LIFETIME)
    self_signup_enabled: Mapped[bool] = mapped_column(default=False)
    deleted_at: Mapped[datetime | None]

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
