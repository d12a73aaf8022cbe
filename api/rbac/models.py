"""Roles, permissions and the links between users, roles and permissions."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey
from api.extensions import db

role_permissions = sa.Table(
    "role_permissions", db.metadata,
    sa.Column("role_id", sa.Uuid, sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("permission_id", sa.Uuid, sa.ForeignKey("permissions.id", ondelete="CASCADE"),
              primary_key=True),
)

user_roles = sa.Table(
    "user_roles", db.metadata,
    sa.Column("user_id", sa.Uuid, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.Uuid, sa.ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class Permission(UUIDPrimaryKey, db.Model):
    """One ``resource:action`` permission; the catalogue is shared by all tenants."""

    __tablename__ = "permissions"

    name: Mapped[str] = mapped_column(sa.String(64), unique=True)

    def __repr__(self) -> str:
        return f"<Permission {self.name}>"


class Role(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """A named set of permissions: a system role or a tenant's custom role."""

    __tablename__ = "roles"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    is_system: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[list[Permission]] = relationship(secondary=role_permissions,
                                                         lazy="selectin")

    @property
    def permission_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.permissions)

    def __repr__(self) -> str:
        return f"<Role {self.name}>"
