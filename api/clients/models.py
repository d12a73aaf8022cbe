"""OAuth clients, described with RFC 7591 metadata names.

The predicates here (``check_redirect_uri``, ``check_client_secret``, ...) use the
names Authlib's protocol engine calls, so the model is the client Authlib sees.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import TenantScoped, Timestamped, UUIDPrimaryKey, tenant_fk, utcnow
from api.extensions import db
from api.security import matches_digest

PUBLIC_AUTH_METHOD = "none"
#: Methods that present the client secret itself (either one will do for such a client).
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
#: RFC 7523 §2.2 / OIDC Core §9: a signed assertion; a client uses exactly the one it registered.
PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_SECRET_JWT = "client_secret_jwt"
JWT_AUTH_METHODS = (PRIVATE_KEY_JWT, CLIENT_SECRET_JWT)
CONFIDENTIAL_AUTH_METHODS = SECRET_AUTH_METHODS + JWT_AUTH_METHODS
AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS + (PUBLIC_AUTH_METHOD,)
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_TYPES = ("authorization_code", "client_credentials", "refresh_token", "password",
               DEVICE_CODE_GRANT, TOKEN_EXCHANGE_GRANT)
#: Short names the CLI also takes for the two URN grant types.
GRANT_ALIASES = {"device_code": DEVICE_CODE_GRANT, "token_exchange": TOKEN_EXCHANGE_GRANT}
#: RFC 8252 §7.3: a loopback IP redirect URI matches on any port.
LOOPBACK_IPS = ("127.0.0.1", "[::1]")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(uri: str) -> str:
    """The web origin of an absolute http(s) URI, as browsers send it in ``Origin``
    (RFC 6454 §6.1): scheme, host and a port unless it is the scheme's default."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme) \
        else ""
    return f"{parts.scheme.lower()}://{host}{port}"


#: Client metadata people see on the consent page (RFC 7591 §2), all optional.
DISPLAY_METADATA = ("logo_uri", "client_uri", "policy_uri", "tos_uri")


class Client(UUIDPrimaryKey, Timestamped, TenantScoped, db.Model):
    """An application registered with a tenant."""

    __tablename__ = "clients"
    #: Client authentication finds the client by ``client_id`` within the tenant in one index
    #: condition, statistics or not (``client_id`` stays unique across tenants too).
    __table_args__ = (sa.Index("uq_clients_tenant_id_client_id", "tenant_id", "client_id",
                               unique=True),)

    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)
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
    #: The client's public keys for private_key_jwt (RFC 7591 §2): by value or by reference.
    jwks: Mapped[dict | None]
    jwks_uri: Mapped[str | None] = mapped_column(sa.Text)
    #: client_secret_jwt needs the secret itself (an HMAC key): sealed, never a digest only.
    client_secret_sealed: Mapped[str | None] = mapped_column(sa.Text)
    #: Registered through RFC 7591; managed with its registration access token (RFC 7592).
    dynamically_registered: Mapped[bool] = mapped_column(default=False)
    registration_access_token_hash: Mapped[str | None] = mapped_column(sa.String(64),
                                                                       unique=True)
    # What the consent page shows people about the client (RFC 7591 §2).
    logo_uri: Mapped[str | None] = mapped_column(sa.String(2000))
    client_uri: Mapped[str | None] = mapped_column(sa.String(2000))
    policy_uri: Mapped[str | None] = mapped_column(sa.String(2000))
    tos_uri: Mapped[str | None] = mapped_column(sa.String(2000))
    #: RP-Initiated Logout 1.0 §3.1: where the browser may be sent back after signing out
    #: (an exact match of ``post_logout_redirect_uri``).
    post_logout_redirect_uris: Mapped[list] = mapped_column(default=list)
    #: Back-Channel Logout 1.0 §2.2: where logout tokens are posted, and whether they must
    #: carry ``sid``.
    backchannel_logout_uri: Mapped[str | None] = mapped_column(sa.String(2000))
    backchannel_logout_session_required: Mapped[bool] = mapped_column(default=False)
    #: Browser origins (besides those of a public client's redirect URIs) whose scripts may
    #: call the tenant REST API and the token endpoints (CORS, :mod:`api.cors`).
    allowed_cors_origins: Mapped[list] = mapped_column(default=list)

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

    @property
    def client_metadata(self) -> dict:
        """The client's registered metadata, with the names of RFC 7591 §2 and the OIDC
        logout specifications (and Tessera's ``require_pkce`` and ``allowed_cors_origins``)."""
        metadata = {"client_name": self.client_name, "redirect_uris": self.redirect_uris,
                    "grant_types": self.grant_types, "response_types": self.response_types,
                    "scope": self.scope,
                    "token_endpoint_auth_method": self.token_endpoint_auth_method,
                    "require_pkce": self.pkce_required,
                    "post_logout_redirect_uris": self.post_logout_redirect_uris,
                    "backchannel_logout_session_required":
                        self.backchannel_logout_session_required,
                    "allowed_cors_origins": self.allowed_cors_origins}
        if self.backchannel_logout_uri:
            metadata["backchannel_logout_uri"] = self.backchannel_logout_uri
        if self.jwks:
            metadata["jwks"] = self.jwks
        if self.jwks_uri:
            metadata["jwks_uri"] = self.jwks_uri
        for name in DISPLAY_METADATA:
            if getattr(self, name):
                metadata[name] = getattr(self, name)
        return metadata

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
        """Exact string match against a registered URI (RFC 9700 §4.1.3), except that a
        loopback IP URI matches on any port (RFC 8252 §7.3: native apps pick one each time)."""
        if redirect_uri in self.redirect_uris:
            return True
        loose = _without_loopback_port(redirect_uri)
        return loose is not None and loose in map(_without_loopback_port, self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        return matches_digest(client_secret, self.client_secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """The registered method; a secret-based client may use basic or post alike."""
        if self.token_endpoint_auth_method in SECRET_AUTH_METHODS:
            return method in SECRET_AUTH_METHODS
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.response_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    def __repr__(self) -> str:
        return f"<Client {self.client_name}>"


def _without_loopback_port(uri: str) -> str | None:
    """``uri`` with its port removed when it is an http URI on a loopback IP, else None."""
    scheme, _, rest = uri.partition("://")
    authority, slash, path = rest.partition("/")
    host = authority.rsplit(":", 1)[0] if not authority.endswith("]") else authority
    if scheme != "http" or host not in LOOPBACK_IPS:
        return None
    return f"http://{host}{slash}{path}"


class InitialAccessToken(UUIDPrimaryKey, TenantScoped, db.Model):
    """An RFC 7591 §3 initial access token: lets its bearer register clients dynamically.

    Stored as a digest; it expires, and allows ``max_uses`` registrations (None: any
    number until it expires).
    """

    __tablename__ = "initial_access_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    def is_usable(self) -> bool:
        return self.expires_at > utcnow() and (self.max_uses is None
                                               or self.uses < self.max_uses)
