"""Protocol state: sign-in sessions, authorization codes, grants with their tokens, pending
sign-ins, consents.

A *sign-in session* is the API's record of a browser signed in to a tenant (its
id is the ``sid`` of the ID tokens issued in it, OIDC Front-/Back-Channel Logout);
codes and grants issued in it point at it, so signing out can find them.
A *grant* is one authorization: a client acting for a user (or for itself) with
a scope. Every token issued under it (the first and each rotation) is a row of
``tokens`` pointing at the grant, so revoking the grant revokes the family.
Codes and refresh tokens are stored only as SHA-256 digests; access tokens are
JWTs, recorded by ``jti`` so that revocation is checked on every use. Pending
authorization requests wait for the frontend to settle them (see
:mod:`api.oauth.challenges`); consents remember what a user approved for a client;
form-post responses wait, sealed, for the frontend to post them to the client
(:mod:`api.oauth.form_post`). Device authorizations (RFC 8628) wait for a user to
approve them by user code; client assertions remember the ``jti`` of each JWT a
client authenticated with (RFC 7523 §3) until it expires, so none is accepted twice.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.clients.models import Client
from api.db import TenantScoped, TimeOrderedPrimaryKey, UUIDPrimaryKey, tenant_fk, utcnow
from api.extensions import db
from api.oauth.acr import acr_for
from api.users.models import User


#: How much of a browser's ``User-Agent`` a sign-in session keeps.
USER_AGENT_LENGTH = 512
#: How stale a sign-in session's ``last_seen_at`` may get before the next visit writes it.
SEEN_EVERY = timedelta(minutes=5)


def _client_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)


def _user_fk() -> Mapped[uuid.UUID | None]:
    return mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


def _session_fk() -> Mapped[uuid.UUID | None]:
    return mapped_column(sa.ForeignKey("sign_in_sessions.id", ondelete="SET NULL"), index=True)


class SignInSession(UUIDPrimaryKey, TenantScoped, db.Model):
    """A browser's sign-in to the tenant (the API's ``tessera_session`` cookie names it).

    Live until ``expires_at`` unless ended (signed out, everywhere, password reset,
    user deactivated); ``id`` is the ``sid`` claim of the ID tokens issued in it.
    ``auth_time`` is when its user last authenticated, ``amr`` the methods they used
    then (RFC 8176; their ``acr`` is :func:`api.oauth.acr.acr_for`).
    """

    __tablename__ = "sign_in_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    auth_time: Mapped[datetime]
    amr: Mapped[list]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    #: The browser that signed in, as it named itself (``User-Agent``, truncated to
    #: :data:`USER_AGENT_LENGTH`) and the address it came from, for the account page.
    user_agent: Mapped[str | None] = mapped_column(sa.String(USER_AGENT_LENGTH))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    #: When the browser last came by with the session's cookie (at most every
    #: :data:`SEEN_EVERY`, so that reading the cookie rarely writes).
    last_seen_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined", viewonly=True)

    def is_live(self, now: datetime) -> bool:
        return self.ended_at is None and self.expires_at > now

    def seen(self, now: datetime) -> None:
        """Note that the browser came by at ``now`` (a write at most every SEEN_EVERY)."""
        if self.last_seen_at is None or now - self.last_seen_at >= SEEN_EVERY:
            self.last_seen_at = now


class AuthorizationCode(UUIDPrimaryKey, TenantScoped, db.Model):
    """A single-use authorization code (RFC 6749 §4.1.2), bound to client and redirect URI."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    client_id: Mapped[uuid.UUID] = _client_fk()
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    nonce: Mapped[str | None] = mapped_column(sa.String(255))
    code_challenge: Mapped[str | None] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(sa.String(10))
    auth_time: Mapped[datetime]
    #: The methods of the sign-in the code was issued in (RFC 8176), for the ID token.
    amr: Mapped[list]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("grants.id", ondelete="SET NULL"))
    #: RFC 8707: the resource the tokens are for (None: the tenant's REST API).
    resource: Mapped[str | None] = mapped_column(sa.String(2000))
    #: The sign-in session the code was issued in (its ``sid``).
    session_id: Mapped[uuid.UUID | None] = _session_fk()

    # Authlib AuthorizationCodeMixin (RFC 6749 §4.1.2, OIDC Core §3.1.2) --------

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str:
        return acr_for(self.amr)

    def get_amr(self) -> list[str]:
        return list(self.amr)

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class Grant(TimeOrderedPrimaryKey, TenantScoped, db.Model):
    """One authorization and the family of tokens issued under it."""

    __tablename__ = "grants"

    #: No index led by ``tenant_id``: a grant is found by id (its tokens' joins), client,
    #: user or session, so no plan can scan a tenant's grants for one of them, statistics or
    #: not (with one, a table never analyzed took the tenant for nearly unique).
    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)
    client_id: Mapped[uuid.UUID] = _client_fk()
    user_id: Mapped[uuid.UUID | None] = _user_fk()
    grant_type: Mapped[str] = mapped_column(sa.String(64))
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    #: RFC 8707: the resource (``aud``) of its access tokens; None means the tenant's REST API.
    resource: Mapped[str | None] = mapped_column(sa.String(2000))
    #: Token exchange (RFC 8693): ``{"subject": sub, "act": {...}}``, the subject its tokens
    #: speak for and who acts for it (§4.1); None for every other grant.
    exchange: Mapped[dict | None]
    #: The sign-in session the grant began in (authorization code grants): signing out of it
    #: ends the grant unless it is for offline access (Back-Channel Logout 1.0 §2.7).
    session_id: Mapped[uuid.UUID | None] = _session_fk()
    #: Loaded with the grant: every token check needs its client (one query, not two).
    client: Mapped[Client] = relationship(lazy="joined", viewonly=True)
    tokens: Mapped[list[Token]] = relationship(back_populates="grant",
                                               cascade="all, delete-orphan",
                                               passive_deletes=True)


class Token(TimeOrderedPrimaryKey, TenantScoped, db.Model):
    """One issuance: an access token (by ``jti``) and, optionally, a refresh token."""

    __tablename__ = "tokens"

    #: No index led by ``tenant_id``: tokens are only ever found by ``jti``, refresh-token
    #: digest or grant, each unique or selective, so the planner cannot pick a scan of the
    #: tenant's tokens (statistics or not), and each issuance writes one index less.
    tenant_id: Mapped[uuid.UUID] = tenant_fk(index=False)
    grant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    jti: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    refresh_used_at: Mapped[datetime | None]
    grant: Mapped[Grant] = relationship(back_populates="tokens", lazy="joined")

    # Authlib TokenMixin (RFC 6749 §1.4-1.5) -----------------------------------

    def check_client(self, client) -> bool:
        return self.grant.client_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        """Whether the access token is revoked (itself or through its grant)."""
        return self.revoked_at is not None or self.grant.revoked_at is not None

    def refresh_usable(self) -> bool:
        """Whether the refresh token may still be exchanged (RFC 6749 §6)."""
        return (self.refresh_token_hash is not None and self.refresh_used_at is None
                and self.grant.revoked_at is None
                and self.refresh_expires_at is not None and self.refresh_expires_at > utcnow())


class AuthorizationRequest(UUIDPrimaryKey, TenantScoped, db.Model):
    """A pending authorization request, waiting for sign-in and consent (the "challenge").

    The challenge goes to the frontend; the verifier comes back to the
    authorization endpoint once the request is settled. Both are stored only as
    digests, and the request is bound to the browser that started it.
    """

    __tablename__ = "authorization_requests"

    challenge_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    verifier_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    browser_hash: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[uuid.UUID] = _client_fk()
    params: Mapped[dict]
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[uuid.UUID | None] = _user_fk()
    auth_time: Mapped[datetime | None]
    #: The authentication methods completed for this request so far (RFC 8176).
    amr: Mapped[list] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    remember_consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: Set when the request verifies a device's user code (RFC 8628 §3.3), not an /authorize.
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("device_authorizations.id", ondelete="CASCADE"), index=True)


class Consent(UUIDPrimaryKey, TenantScoped, db.Model):
    """A user's remembered approval of a client for a set of scopes."""

    __tablename__ = "consents"
    __table_args__ = (sa.UniqueConstraint("user_id", "client_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormPostResponse(UUIDPrimaryKey, TenantScoped, db.Model):
    """An authorization response for ``response_mode=form_post``, until the frontend posts it.

    Found by the digest of a single-use reference; the parameters (a code among
    them) are sealed, since they must be read back.
    """

    __tablename__ = "form_post_responses"

    reference_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    sealed_params: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class DeviceAuthorization(UUIDPrimaryKey, TenantScoped, db.Model):
    """An RFC 8628 device authorization: a device polls with its device code while a
    user approves or denies it by its user code. Both codes are stored as digests."""

    __tablename__ = "device_authorizations"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "user_code_hash"),)

    device_code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_code_hash: Mapped[str] = mapped_column(sa.String(64))
    client_id: Mapped[uuid.UUID] = _client_fk()
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    resource: Mapped[str | None] = mapped_column(sa.String(2000))
    #: pending → approved | denied (by the user) → redeemed (tokens issued, once)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    user_id: Mapped[uuid.UUID | None] = _user_fk()
    interval: Mapped[int] = mapped_column(default=5)
    last_polled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    client: Mapped[Client] = relationship(lazy="joined", viewonly=True)

    # Authlib's device credential (RFC 8628 §3.4) -------------------------------

    def get_client_id(self) -> str:
        return self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()


class ClientAssertion(UUIDPrimaryKey, TenantScoped, db.Model):
    """The ``jti`` of a client assertion already used (RFC 7523 §3), kept until it expires."""

    __tablename__ = "client_assertions"
    __table_args__ = (sa.UniqueConstraint("client_id", "jti"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"))
    jti: Mapped[str] = mapped_column(sa.String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)
