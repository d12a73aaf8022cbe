"""The refresh token grant's reads and writes (RFC 6749 §6, rotation with reuse detection).

A presented refresh token is found by its digest with one prepared statement
(:mod:`api.prepared`), no ORM: the token's row, its grant, and the grant's user with their
role names and permissions, as a :class:`RefreshToken` snapshot of plain values. Every
table in it is filtered by the tenant explicitly and read by its key (as in the bearer
check, :mod:`api.oauth.bearer`), and row-level security holds on top. The token endpoint
reads it with the client that presents it, in its client lookup's statement
(:func:`presented`, :func:`remember`): one round trip for both.

Whether it may be used is decided by its claim, which locks the grant and marks the token
used, in the statement that records what replaces it
(:func:`api.oauth.tokens.record_rotation`): of parallel uses exactly one wins, and the loser
is a reuse. Revocation and introspection find refresh tokens as token rows
(:func:`api.oauth.tokens.find_refresh_token`).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g
from sqlalchemy import bindparam, select

from api.db import utcnow
from api.extensions import db
from api.oauth.bearer import TENANT, as_uuid, by_key, roles_and_permissions, split_names
from api.oauth.models import Grant, Token
from api.prepared import PreparedRead
from api.security import digest
from api.users.models import User


@dataclass(frozen=True)
class RefreshUser:
    """The user a refresh token speaks for, while they may sign in (Authlib's UserMixin)."""

    id: uuid.UUID
    email: str
    roles: frozenset[str]
    permissions: frozenset[str]

    def get_user_id(self) -> uuid.UUID:
        return self.id


@dataclass(frozen=True)
class RefreshToken:
    """A refresh token's row and grant (Authlib's TokenMixin)."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    scope: str
    grant_id: uuid.UUID
    #: The grant's client (its ``clients.id``).
    client_id: uuid.UUID
    #: The grant's user, unless there is none or they may no longer sign in.
    user: RefreshUser | None
    resource: str | None
    exchange: dict | None
    session_id: uuid.UUID | None
    #: Already exchanged once: presenting it again is a reuse.
    used: bool
    #: Unused, unexpired, its grant unrevoked (as :meth:`Token.refresh_usable`).
    usable: bool

    def check_client(self, client) -> bool:
        return self.client_id == client.id

    def get_scope(self) -> str:
        return self.scope


def _statement(lateral: bool) -> sa.Select:
    now = bindparam("now", type_=Token.refresh_expires_at.type)
    grant, on_grant = by_key("grant", Grant, Token.grant_id, (
        Grant.client_id, Grant.user_id, Grant.revoked_at, Grant.resource, Grant.exchange,
        Grant.session_id), lateral)
    user, on_user = by_key("user", User, grant.c.user_id, (
        User.email, User.is_active, User.deleted_at), lateral)
    return (select(Token.id, Token.scope, Token.grant_id, grant.c.client_id, grant.c.user_id,
                   grant.c.resource, grant.c.exchange, grant.c.session_id,
                   Token.refresh_used_at.is_not(None),
                   sa.and_(Token.refresh_used_at.is_(None), grant.c.revoked_at.is_(None),
                           Token.refresh_expires_at > now),
                   sa.and_(user.c.is_active, user.c.deleted_at.is_(None)), user.c.email,
                   *roles_and_permissions(user.c.key))
            .select_from(Token).join(grant, on_grant).outerjoin(user, on_user)
            .where(Token.refresh_token_hash == bindparam("digest"), Token.tenant_id == TENANT))


LOOKUP = PreparedRead("tessera_refresh", _statement(lateral=True), _statement(lateral=False))
#: ``g``: (tenant id, digest) -> the row :data:`LOOKUP`'s statement read with the client.
_REMEMBERED = "refresh_tokens_read"


def presented(form) -> str | None:
    """The digest of the refresh token a token request presents (its ``:digest``
    parameter), if it is a refresh: for reading it with the client (:func:`remember`)."""
    token_string = form.get("refresh_token")
    return digest(token_string) if form.get("grant_type") == "refresh_token" and \
        token_string else None


def remember(tenant_id: uuid.UUID, token_digest: str, row: tuple) -> None:
    """What :data:`LOOKUP`'s statement found for the token ``token_digest`` when the request
    read it with its client (:func:`api.clients.lookup.lookup_with`; all null when it found
    none): :func:`find` reads no more, in this request."""
    g.setdefault(_REMEMBERED, {})[tenant_id, token_digest] = row


def find(tenant_id: uuid.UUID, token_string: str) -> RefreshToken | None:
    """The refresh token ``token_string`` of this tenant, usable or not, or None."""
    key = digest(token_string)
    row = g.get(_REMEMBERED, {}).pop((tenant_id, key), None)
    if row is None:
        row = LOOKUP.first(db.session, tenant_id, digest=key, now=utcnow())
    if row is None or row[0] is None:
        return None
    (token_id, scope, grant_id, client_id, user_id, resource, exchange, session_id, used,
     usable, live, email, roles, permissions) = row
    user = RefreshUser(as_uuid(user_id), email, split_names(roles),
                       split_names(permissions)) if live else None
    return RefreshToken(as_uuid(token_id), tenant_id, scope, as_uuid(grant_id),
                        as_uuid(client_id), user, resource, exchange,
                        None if session_id is None else as_uuid(session_id), used, bool(usable))
