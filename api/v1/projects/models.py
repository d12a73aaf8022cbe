"""A project: the example of a tenant-owned business object."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey
from api.extensions import db


class Project(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """Mixing in TenantScoped is all it takes for every query to stay in its tenant."""

    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
