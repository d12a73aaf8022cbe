"""Throttle counters: one row per key and window."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.extensions import db


class ThrottleCounter(db.Model):
    """How many hits a key has had in the window that ends at ``expires_at``.

    ``key`` is ``{SHA-256 of the caller's key, hex}:{window number}``, so it fits whatever
    the caller's key embeds. Callers' keys embed the tenant when they belong to one; the
    table is not tenant-scoped because the per-IP limits span tenants.
    """

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)
