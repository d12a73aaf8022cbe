"""Users: people who sign in to one tenant."""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey, tenant_fk, utcnow
from api.extensions import db
from api.rbac.models import Role, user_roles


def normalize_email(email: str) -> str:
    """Emails are unique per tenant regardless of case: store them lowercased."""
    return email.strip().lower()


class User(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """A tenant's user. The email is unique among the tenant's live users."""

    __tablename__ = "users"
    __table_args__ = (
        sa.Index("uq_users_tenant_email", "tenant_id", "email", unique=True,
                 postgresql_where=sa.text("deleted_at IS NULL"),
                 sqlite_where=sa.text("deleted_at IS NULL")),
    )

    #: No plain index on ``tenant_id``: the live users of a tenant are ``uq_users_tenant_email``'s
    #: (in email order), and a user is otherwise found by id, so no plan can scan a tenant's
    #: users for one of them (the bearer check's join), statistics or not.
    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)

    email: Mapped[str] = mapped_column(sa.String(320))
    #: Set when the user proved control of ``email`` (a verification, email-change or
    #: password-reset link); cleared when the address changes any other way.
    email_verified: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: OIDC Core §5.1 profile claims.
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    given_name: Mapped[str] = mapped_column(sa.String(100), default="")
    family_name: Mapped[str] = mapped_column(sa.String(100), default="")
    #: When the claims above (or the email) last changed: OIDC's ``updated_at``.
    profile_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    roles: Mapped[list[Role]] = relationship(secondary=user_roles, lazy="selectin")

    @property
    def permissions(self) -> frozenset[str]:
        """Everything the user's roles allow."""
        return frozenset().union(*(role.permission_names for role in self.roles))

    @property
    def can_sign_in(self) -> bool:
        return self.is_active and self.deleted_at is None

    def get_user_id(self):
        """The subject identifier (Authlib's UserMixin)."""
        return self.id

    def __repr__(self) -> str:
        return f"<User {self.email}>"


#: Load option for a user whose permissions are about to be checked: roles and their
#: permissions arrive in the same query rather than in two more.
WITH_PERMISSIONS = joinedload(User.roles).joinedload(Role.permissions)


def load_with_permissions(user_id) -> User | None:
    """The user with ``user_id`` (in the session's tenant scope), permissions loaded."""
    return db.session.get(User, user_id, options=[WITH_PERMISSIONS])
