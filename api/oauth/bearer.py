"""The bearer check of the tenant REST API (RFC 6750, RFC 9068): one query, no ORM objects.

An access token is accepted under the rules of :mod:`api.oauth.tokens` (signature with one
of the tenant's keys, ``iss``, ``tid``, ``aud``, ``exp``); what only the database knows
comes back from one prepared statement (:mod:`api.prepared`), read on every request, so a
revocation (of the token, its grant or its signing key) takes effect at once on every
process: the token's row, unrevoked, with its unrevoked grant, the key still published and
the tenant's bearer generation (:data:`CHECK`; the introspection endpoint reads it with its
client, :mod:`api.oauth.introspection`). The grant's client, and its user with their
role names and permissions, come from :mod:`api.oauth.bearer_cache` for that generation; when
they are not there, a second statement reads everything (:data:`LOOKUP`) and fills it. On
SQLite, which keeps no generation, :data:`LOOKUP` alone serves every request. Every table
in both is filtered by the tenant explicitly, and row-level security holds on top.

The result is a :class:`Bearer`, a snapshot of plain values that the request reads from
(:mod:`api.access.caller`); nothing of it is attached to the session.
"""
from __future__ import annotations

import functools
import time
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import bindparam, func, select

from api.clients.models import Client
from api.db import utcnow
from api.extensions import db
from api.keys.models import SigningKey
from api.oauth import tokens
from api.oauth.bearer_cache import BearerCache
from api.oauth.models import Grant, Token
from api.prepared import PreparedRead
from api.rbac.models import Permission, Role, role_permissions, user_roles
from api.tenancy.models import Tenant
from api.users.models import User

#: Separates the role names and permission names aggregated into one column.
_SEPARATOR = "\n"
#: The statement's tenant, filtering every tenant-owned table it reads.
TENANT = bindparam("tenant", type_=sa.Uuid)


@dataclass(frozen=True)
class BearerClient:
    """The client a token was issued to."""

    id: uuid.UUID
    client_id: str
    client_name: str


@dataclass(frozen=True)
class BearerUser:
    """The user a token speaks for, with what their roles allow."""

    id: uuid.UUID
    email: str
    email_verified: bool
    name: str
    given_name: str
    family_name: str
    roles: frozenset[str]
    permissions: frozenset[str]


@dataclass(frozen=True)
class Bearer:
    """A verified, unrevoked access token (Authlib's TokenMixin)."""

    id: uuid.UUID
    jti: str
    scope: str
    grant_id: uuid.UUID
    #: The sign-in session its grant began in (authorization code grants), or None.
    session_id: uuid.UUID | None
    client: BearerClient
    user: BearerUser | None
    claims: dict

    def get_scope(self) -> str:
        return self.scope

    def is_expired(self) -> bool:
        return self.claims["exp"] <= time.time()

    def is_revoked(self) -> bool:
        return False  # only unrevoked tokens are found

    def check_client(self, client) -> bool:
        return self.client.id == client.id

    def introspection(self) -> dict:
        """RFC 7662 §2.2: what introspection says of this active access token."""
        claims = self.claims
        payload = {"active": True, "scope": self.scope, "client_id": self.client.client_id,
                   "username": self.user.email if self.user else None, "token_type": "Bearer",
                   **{name: claims[name] for name in ("exp", "iat", "sub", "aud", "iss", "jti",
                                                      "tid")}}
        if "act" in claims:
            payload["act"] = claims["act"]
        return payload


def _names(joined: sa.Select, column) -> sa.ScalarSelect:
    """The user's ``column`` values through their roles, as one separated string."""
    return joined.with_only_columns(func.aggregate_strings(column, _SEPARATOR)).scalar_subquery()


def roles_and_permissions(user_key) -> tuple[sa.ScalarSelect, sa.ScalarSelect]:
    """SQL: the role names and the permission names of the user ``user_key`` (a column),
    each as one string (:func:`split_names` takes it apart)."""
    roles = (select(Role.id).select_from(user_roles).join(Role, Role.id == user_roles.c.role_id)
             .where(user_roles.c.user_id == user_key, Role.tenant_id == TENANT))
    permissions = (roles.join(role_permissions, role_permissions.c.role_id == Role.id)
                   .join(Permission, Permission.id == role_permissions.c.permission_id))
    return _names(roles, Role.name), _names(permissions, Permission.name)


def by_key(name: str, entity, key, columns: tuple,
           lateral: bool) -> tuple[sa.FromClause, sa.ColumnElement]:
    """``columns`` of the one row of ``entity`` (a tenant-owned model) whose primary key is
    ``key``, and the join condition. On PostgreSQL (``lateral``) a LATERAL subquery planned
    on its own (``OFFSET 0`` keeps PostgreSQL from merging it into the join): the statement
    reads token, grant, client and user in that order, each by its key, and never starts from
    a tenant's clients or scans a tenant's rows, whatever the planner's statistics (migration
    0016). Elsewhere (SQLite, which has no LATERAL) a plain subquery joined on the key."""
    rows = select(entity.id.label("key"), *columns).where(entity.tenant_id == TENANT)
    if lateral:
        return (rows.where(entity.id == key).offset(sa.literal_column("0")).lateral(name),
                sa.true())
    subquery = rows.subquery(name)
    return subquery, subquery.c.key == key


def _statement(snapshot: bool, lateral: bool = True) -> sa.Select:
    """The token's row, unrevoked, with its unrevoked grant, its key still published and the
    tenant's bearer generation; with the grant's client and its user, their role names and
    permissions when ``snapshot`` (``lateral``: see :func:`by_key`)."""
    grant, on_grant = by_key("grant", Grant, Token.grant_id, (
        Grant.session_id, Grant.client_id, Grant.user_id, Grant.revoked_at), lateral)
    published = select(SigningKey.id).where(
        SigningKey.kid == bindparam("kid"), SigningKey.tenant_id == TENANT,
        SigningKey.published_at(bindparam("now", type_=SigningKey.revoked_at.type))).exists()
    generation = select(Tenant.bearer_generation).where(Tenant.id == TENANT).scalar_subquery()
    token = (select(Token.id, Token.scope, Token.grant_id, grant.c.session_id,
                    grant.c.client_id, grant.c.user_id, generation)
             .select_from(Token).join(grant, on_grant)
             .where(Token.jti == bindparam("jti"), Token.tenant_id == TENANT,
                    Token.revoked_at.is_(None), grant.c.revoked_at.is_(None), published))
    if not snapshot:
        return token
    client, on_client = by_key("client", Client, grant.c.client_id, (
        Client.client_id, Client.client_name), lateral)
    user, on_user = by_key("user", User, grant.c.user_id, (
        User.email, User.email_verified, User.name, User.given_name, User.family_name),
        lateral)
    return (token.add_columns(client.c.client_id, client.c.client_name, user.c.key,
                              user.c.email, user.c.email_verified, user.c.name,
                              user.c.given_name, user.c.family_name,
                              *roles_and_permissions(user.c.key))
            .join(client, on_client).outerjoin(user, on_user))


#: Every request on PostgreSQL: what can change per token, and the tenant's generation.
CHECK = PreparedRead("tessera_bearer_check", _statement(snapshot=False))
#: Elsewhere, and when the generation's client or user is not cached: everything.
LOOKUP = PreparedRead("tessera_bearer", _statement(snapshot=True),
                      _statement(snapshot=True, lateral=False))
#: Clients and users by tenant generation (PostgreSQL only: SQLite keeps no generation).
CACHE = BearerCache()


def as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


@functools.lru_cache(maxsize=256)
def split_names(names: str | None) -> frozenset[str]:
    """The names in ``names`` (users of the same roles share one set)."""
    return frozenset(names.split(_SEPARATOR)) if names else frozenset()


def _bearer(jti: str, claims: dict, row, parts: tuple) -> Bearer:
    """The Bearer of ``row`` (either statement's) with ``parts``: its client and user."""
    token_id, scope, grant_id, session_id = row[:4]
    return Bearer(as_uuid(token_id), jti, scope, as_uuid(grant_id),
                  None if session_id is None else as_uuid(session_id), *parts, claims)


def _snapshot(tenant_id: uuid.UUID, jti: str, kid: str, claims: dict, cache: bool
              ) -> Bearer | None:
    """The token read with its client and user (kept in the cache when ``cache``)."""
    row = LOOKUP.first(db.session, tenant_id, jti=jti, kid=kid, now=utcnow())
    if row is None:
        return None
    (client_id, user_id, generation, client_key, client_name, user_key, email, verified, name,
     given_name, family_name, roles, permissions) = row[4:]
    client = BearerClient(as_uuid(client_id), client_key, client_name)
    user = None if user_key is None else BearerUser(
        as_uuid(user_key), email, verified, name, given_name, family_name, split_names(roles),
        split_names(permissions))
    if cache:
        CACHE.put(tenant_id, generation, client_id, client, user_id, user)
    return _bearer(jti, claims, row, (client, user))


def uses_generations() -> bool:
    """Whether the request's database keeps bearer generations (PostgreSQL): then a token is
    checked with :data:`CHECK` (or a statement that reads it with something else) and its
    client and user come from the cache; elsewhere :data:`LOOKUP` reads everything."""
    return db.session.get_bind().dialect.name == "postgresql"


def lookup(tenant_id: uuid.UUID, jti: str, kid: str, claims: dict) -> Bearer | None:
    """The token ``jti`` of this tenant, signed with ``kid``, if it and its grant are
    unrevoked and the key is still published; None otherwise."""
    if not uses_generations():
        return _snapshot(tenant_id, jti, kid, claims, cache=False)
    return checked(tenant_id, jti, kid, claims,
                   CHECK.first(db.session, tenant_id, jti=jti, kid=kid, now=utcnow()))


def checked(tenant_id: uuid.UUID, jti: str, kid: str, claims: dict, row) -> Bearer | None:
    """The token of ``row``, what :data:`CHECK` read for it (None: nothing), with its client
    and user from the cache for the row's generation, or read with them when not there."""
    if row is None:
        return None
    client_id, user_id, generation = row[4:7]
    parts = CACHE.get(tenant_id, generation, client_id, user_id)
    if parts is None:
        return _snapshot(tenant_id, jti, kid, claims, cache=True)
    return _bearer(jti, claims, row, parts)


def verify(token_string: str, tenant: Tenant, issuer: str,
           audience: str | None = None) -> tuple[str, str, dict] | None:
    """``(jti, kid, claims)`` of the access token ``token_string`` if its signature and
    claims are this tenant's (for ``audience``, when given); whether it is still valid is
    :func:`lookup`'s to say."""
    verified = tokens.verify_access_token(token_string, tenant, issuer, audience)
    if verified is None:
        return None
    kid, claims = verified
    jti = claims.get("jti")
    return (jti, kid, claims) if isinstance(jti, str) else None


def authenticate(token_string: str, tenant: Tenant, issuer: str,
                 audience: str | None = None) -> Bearer | None:
    """The access token ``token_string`` if this tenant accepts it (for ``audience``, when
    given)."""
    verified = verify(token_string, tenant, issuer, audience)
    return None if verified is None else lookup(tenant.id, *verified)
