"""OAuth clients, described with RFC 7591 metadata names.

The predicates here (``check_redirect_uri``, ``check_client_secret``, ...) use the
names Authlib's protocol engine calls, so the model is the client Authlib sees.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey
from api.extensions import db
from api.security import matches_digest

PUBLIC_AUTH_METHOD = "none"
CONFIDENTIAL_AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class Client(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """An application registered with a tenant."""

    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    client_name: Mapped[str] = mapped_column(sa.String(200))
    redirect_uris: Mapped[list] = mapped_column(default=list)
    grant_types: Mapped[list] = mapped_column(default=list)
    response_types: Mapped[list] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    token_endpoint_auth_method: Mapped[str] = mapped_column(sa.String(32))
    is_first_party: Mapped[bool] = mapped_column(default=False)
    #: PKCE (RFC 7636) for every authorization request, as OAuth 2.1 and RFC 9700 §2.1.1
    #: ask; only a legacy confidential client may be registered without it.
    require_pkce: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == PUBLIC_AUTH_METHOD

    @property
    def pkce_required(self) -> bool:
        """Whether an authorization request must carry an S256 ``code_challenge``."""
        return self.require_pkce or self.is_public

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    # RFC 6749 §2 / Authlib ClientMixin ------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes this client may have (RFC 6749 §3.3); None when it may have
        none of them, which Authlib answers with ``invalid_scope`` (§4.1.2.1, §5.2).

        A request that names no scope gets a default, as §3.3 allows; like
        Keycloak's default client scopes, ours is the client's registered scope.
        A partly allowed request gets the allowed part, and the token response
        says so in ``scope``.
        """
        if not scope:
            return self.scope
        allowed = self.scopes
        granted = " ".join(s for s in dict.fromkeys(scope.split()) if s in allowed)
        return granted or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact string match against a registered URI (RFC 9700 §4.1.3)."""
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return matches_digest(client_secret, self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == PUBLIC_AUTH_METHOD
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def __repr__(self) -> str:
        return f"<Client {self.client_name}>"
