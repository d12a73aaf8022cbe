"""Outbox rows: one message waiting for (or done with) delivery."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, UUIDPrimaryKey, utcnow
from api.extensions import db

PENDING, SENT, FAILED = "pending", "sent", "failed"


class OutboxMessage(UUIDPrimaryKey, TenantScoped, db.Model):
    """A message of some ``kind`` (``mail``, ``backchannel_logout``), delivered by that
    kind's function.

    The payload may hold secrets (a reset link), so it is sealed at rest and
    wiped once the message is sent or given up; ``summary`` is what may be
    shown and audited (recipient, purpose), never a secret.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    kind: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[str | None] = mapped_column(sa.Text)
    summary: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
