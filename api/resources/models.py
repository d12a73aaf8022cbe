"""A resource server of a tenant, named by its RFC 8707 resource identifier."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey
from api.extensions import db


class Resource(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """An API that accepts this tenant's access tokens: ``aud`` of the tokens issued for it.

    ``scope`` lists the scopes it accepts (space-separated); a token for it never
    carries other scopes than those, besides the identity scopes (OIDC).
    """

    __tablename__ = "resources"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "identifier"),)

    identifier: Mapped[str] = mapped_column(sa.String(2000))
    name: Mapped[str] = mapped_column(sa.String(200))
    scope: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def __repr__(self) -> str:
        return f"<Resource {self.identifier}>"
