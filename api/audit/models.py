"""The append-only security log."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, TimeOrderedPrimaryKey, tenant_fk, utcnow
from api.extensions import db


class AuditEvent(TimeOrderedPrimaryKey, TenantScoped, db.Model):
    """Who did what to what, from where, and how it ended. Never updated or deleted; written
    at the rate tokens are issued, so its id is time-ordered."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_tenant_time", "tenant_id", "created_at"),)

    #: No index of its own: ``ix_audit_events_tenant_time`` leads with it (migration 0018).
    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    actor: Mapped[str] = mapped_column(sa.String(320), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: The target's name or email when it was recorded (it outlives the target).
    target_label: Mapped[str | None] = mapped_column(sa.String(320))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(default=dict)
