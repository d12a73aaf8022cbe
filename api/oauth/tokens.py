"""Token lifecycle: recording issued tokens, finding them again, rotation and revocation.

Access tokens are RFC 9068 JWTs signed with the tenant's key. A token is
accepted only when its signature verifies with one of *this* tenant's published
keys, its ``iss`` and ``tid`` name this tenant, it has not expired, its ``aud``
is the resource that checks it (the REST API checks for ``{issuer}/api/v1``), and
its ``jti`` row exists in this tenant's scope with neither it nor its grant
revoked. The row lookup happens on every use and also says whether the signing key
is still published (one query for both), so revoking a token or a key takes effect
at once on every process.

What never changes is kept per process: the parsed public keys, and which access tokens'
signatures verified (by the token's digest, a bounded number of them), so a token's
signature is checked once per process rather than on every use. Neither says a token is
still valid: its claims (``exp``, ``iss``, ``aud``...) are checked and its row read on every
use, as above.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask import g
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import insert, select, update

import observability
from api import audit
from api.db import utcnow, uuid7
from api.extensions import db
from api.keys.models import SigningKey
from api.oauth import targets
from api.oauth.models import Grant, Token
from api.prepared import PreparedWrite
from api.security import digest
from api.tenancy.models import Tenant

ACCESS_TOKEN_TYPE = "at+jwt"
TOKENS_ISSUED = observability.counter("tessera_tokens_issued_total", "Tokens issued",
                                      ["grant_type", "tenant"])
TOKENS_REVOKED = observability.counter("tessera_tokens_revoked_total",
                                       "Grants and access tokens revoked", ["tenant", "kind"])
#: (tenant id, kid) -> the parsed public key; immutable, so kept per process. Whether the
#: key is still published is read with each token's row (:func:`find_access_token`).
_public_keys: dict[tuple[uuid.UUID, str], RSAKey | ECKey] = {}
#: (tenant id, SHA-256 of an access token) -> (kid, claims) of a token whose signature
#: verified; at most VERIFIED_TOKENS, the oldest dropped first.
_verified: dict[tuple[uuid.UUID, bytes], tuple[str, dict]] = {}
_verified_lock = threading.Lock()
VERIFIED_TOKENS = 10_000


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def _unverified_segment(jwt_string: str, index: int) -> dict:
    """Header (0) or claims (1) of a JWT, without verifying anything."""
    segment = jwt_string.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _bound(table: sa.Table, prefix: str, names: tuple[str, ...]) -> dict:
    """``names`` of ``table``'s columns, each bound to the parameter ``{prefix}{name}`` (no
    parameter is named as a column: SQLAlchemy would take it for one more to write)."""
    return {name: sa.bindparam(prefix + name, type_=table.c[name].type) for name in names}


def _insert_if(table: sa.Table, values: dict, condition) -> sa.Insert:
    """``table``'s row of ``values`` (bound parameters), written only when ``condition`` holds:
    ``INSERT ... SELECT ... WHERE``, each value cast to its column's type (PostgreSQL infers
    the types of a VALUES list from the columns, but not those of a select list)."""
    return insert(table).from_select(list(values), select(*(
        sa.cast(value, table.c[name].type) for name, value in values.items())).where(condition))


_GRANTS, _TOKENS = Grant.__table__, Token.__table__
#: The statements that record an issuance, built once (see :func:`record_issued`).
_NEW_GRANT = insert(_GRANTS).values(
    id=sa.bindparam("grant", type_=_GRANTS.c.id.type),
    tenant_id=sa.bindparam("tenant", type_=_GRANTS.c.tenant_id.type),
    **_bound(_GRANTS, "grant_", ("client_id", "user_id", "grant_type", "scope", "created_at",
                                 "expires_at", "resource", "exchange", "session_id")))
_EXTENDED_GRANT = update(_GRANTS).where(
    _GRANTS.c.id == sa.bindparam("grant", type_=_GRANTS.c.id.type),
    _GRANTS.c.tenant_id == sa.bindparam("tenant", type_=_GRANTS.c.tenant_id.type)
).values(**_bound(_GRANTS, "grant_", ("expires_at",)))
_TOKEN_VALUES = dict(
    grant_id=sa.bindparam("grant", type_=_TOKENS.c.grant_id.type),
    tenant_id=sa.bindparam("tenant", type_=_TOKENS.c.tenant_id.type),
    **_bound(_TOKENS, "token_", ("id", "jti", "scope", "issued_at", "access_expires_at",
                                 "refresh_token_hash", "refresh_expires_at")))
_NEW_TOKEN = insert(_TOKENS).values(_TOKEN_VALUES)
#: On PostgreSQL, the grant's and the token's rows as data-modifying CTEs of the event's.
_ISSUED = audit.INSERT.add_cte(_NEW_GRANT.cte("grant_written"), _NEW_TOKEN.cte("token_written"))
#: A new grant's issuance that is the request's only write, prepared (:mod:`api.prepared`).
_ISSUED_ALONE = PreparedWrite("tessera_issue", _ISSUED)
#: The claim of a refresh token, built once: the token ``:claimed_token`` of the grant
#: ``:grant`` in ``:tenant`` is marked used at ``:claimed_at``, unless it was already;
#: whether a row was written says whether this use won. The grant's row is locked first
#: (on PostgreSQL its FOR UPDATE subquery is an InitPlan, run before the token is read), as
#: revocation locks it first (grant, then its tokens), so parallel refreshes and revocations
#: of one family queue up in the same order instead of deadlocking; a refresh that waited for
#: another sees the token already used (PostgreSQL rechecks the row it updates). It is
#: written with what replaces the token, in the same statement or transaction
#: (:func:`record_rotation`).
_CLAIM = update(_TOKENS).where(
    _TOKENS.c.id == sa.bindparam("claimed_token", type_=_TOKENS.c.id.type),
    _TOKENS.c.tenant_id == sa.bindparam("tenant", type_=_TOKENS.c.tenant_id.type),
    _TOKENS.c.refresh_used_at.is_(None),
    select(_GRANTS.c.id).where(
        _GRANTS.c.id == sa.bindparam("grant", type_=_GRANTS.c.id.type),
        _GRANTS.c.tenant_id == sa.bindparam("tenant", type_=_GRANTS.c.tenant_id.type)
    ).with_for_update().exists()
).values(refresh_used_at=sa.bindparam("claimed_at", type_=_TOKENS.c.refresh_used_at.type))
#: On PostgreSQL, a refresh's rotation (:func:`record_rotation`): the claim, the grant's new
#: expiry and the new token as data-modifying CTEs of the event's INSERT, each of the other
#: three written only where the claim returned its row.
_CLAIMED = _CLAIM.returning(_TOKENS.c.id).cte("claimed")
_IF_CLAIMED = select(_CLAIMED.c.id).exists()
_ROTATED = _insert_if(audit.INSERT.table, audit.VALUES, _IF_CLAIMED).add_cte(
    _CLAIMED, _EXTENDED_GRANT.where(_IF_CLAIMED).cte("grant_written"),
    _insert_if(_TOKENS, _TOKEN_VALUES, _IF_CLAIMED).cte("token_written"))
#: A rotation, the refresh's only write, prepared.
_ROTATED_ALONE = PreparedWrite("tessera_rotate", _ROTATED)


def _parameters(token: dict, request, tenant: Tenant, grant_id: uuid.UUID) -> dict:
    """What the statements of an issuance under the grant ``grant_id`` write but the grant's
    own columns: the token row (``token_*``) and the ``token.issued`` event (``event_*``)."""
    claims = _unverified_segment(token["access_token"], 1)  # we signed it a moment ago
    refresh_token = token.get("refresh_token")
    user = request.user
    refresh_expires_at = utcnow() + timedelta(seconds=tenant.refresh_token_lifetime) \
        if refresh_token else None
    parameters = {
        "tenant": tenant.id, "grant": grant_id,
        "grant_expires_at": refresh_expires_at or _at(claims["exp"]), "token_id": uuid7(),
        "token_jti": claims["jti"], "token_scope": token.get("scope", ""),
        "token_issued_at": _at(claims["iat"]), "token_access_expires_at": _at(claims["exp"]),
        "token_refresh_token_hash": digest(refresh_token) if refresh_token else None,
        "token_refresh_expires_at": refresh_expires_at}
    actor = audit.Actor.of_user(user) if user else audit.Actor.of_client(request.client)
    parameters.update(audit.insert_parameters(
        "token.issued", actor, audit.Target(Grant.__tablename__, grant_id), tenant.id,
        client_id=request.client.client_id, grant_type=request.payload.grant_type,
        scope=parameters["token_scope"], jti=claims["jti"]))
    return parameters


def record_issued(token: dict, request, tenant: Tenant, alone: bool = False) -> None:
    """Store what the token endpoint just issued under a new grant (Authlib's
    ``save_token``): the grant, the token row and the ``token.issued`` audit event, in the
    request's transaction (the endpoint commits). A refresh has :func:`record_rotation`.

    They are written with Core statements built once, not ORM objects (the endpoint reads
    none of them back): on PostgreSQL the three in one statement, the grant's and the
    token's as data-modifying CTEs of the audit event's INSERT, so issuing costs one round
    trip and no flush; elsewhere (SQLite has no such CTEs) one after the other. Every row
    names the tenant explicitly, and row-level security checks it.

    ``alone``: an issuance that is the request's only write (client_credentials writes
    nothing else). On PostgreSQL that statement is then a prepared one, run by itself
    in autocommit (:class:`~api.prepared.PreparedWrite`): it commits, synchronously, in the
    same round trip, so the request pays no BEGIN and no COMMIT; it is durable before the
    response is built, as the endpoint's commit would make it.
    """
    client, user = request.client, request.user
    code = getattr(request, "authorization_code", None)
    target, exchange = targets.bound()
    parameters = _parameters(token, request, tenant, uuid7())
    parameters.update(
        grant_client_id=client.id, grant_user_id=user.id if user else None,
        grant_grant_type=request.payload.grant_type, grant_scope=parameters["token_scope"],
        grant_created_at=utcnow(), grant_resource=target.stored, grant_exchange=exchange,
        grant_session_id=code.session_id if code is not None else None)
    if not (alone and _ISSUED_ALONE.run_alone(db.session, tenant.id, parameters)):
        _write_in_session(_ISSUED, (_NEW_GRANT, _NEW_TOKEN, audit.INSERT), parameters)
    if code is not None:  # so that a replay of the code can revoke this grant (flushed
        code.grant_id = parameters["grant"]  # at commit, after the grant row exists)
    TOKENS_ISSUED.labels(request.payload.grant_type, tenant.slug).inc()


def record_rotation(token: dict, request, tenant: Tenant) -> bool:
    """Claim the refresh token the request presented (:data:`_CLAIM`) and store what the
    token endpoint issued in its place (RFC 6749 §6): the grant's new expiry, the token row
    and the ``token.issued`` event, or nothing at all when the claim fails; False then (the
    token was used already, by a parallel request too: a reuse).

    On PostgreSQL, one statement, the rotation's only write: prepared and run by itself in
    autocommit as :func:`record_issued`'s ``alone``, committed synchronously in its round
    trip (in the request's transaction where the session is joined to an outer connection);
    elsewhere the claim and then the rows, in the request's transaction.
    """
    previous = request.refresh_token  # a snapshot (api.oauth.refresh)
    parameters = _parameters(token, request, tenant, previous.grant_id)
    parameters.update(claimed_token=previous.id, claimed_at=utcnow())
    written = _ROTATED_ALONE.rows_alone(db.session, tenant.id, parameters)
    rotated = written == 1 if written is not None else _write_in_session(
        _ROTATED, (_CLAIM, _EXTENDED_GRANT, _NEW_TOKEN, audit.INSERT), parameters)
    if rotated:
        TOKENS_ISSUED.labels(request.payload.grant_type, tenant.slug).inc()
    return rotated


def _write_in_session(statement: sa.Insert, steps: tuple, parameters: dict) -> bool:
    """An issuance's rows in the request's transaction: ``statement`` on PostgreSQL, else
    each of ``steps`` in turn while each writes its row. Whether all of them did."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(statement, parameters).rowcount == 1
    return all(db.session.execute(step, parameters).rowcount == 1 for step in steps)


def _public_key(tenant: Tenant, kid: str) -> RSAKey | ECKey | None:
    """This tenant's verification key ``kid`` (published or not), parsed once per process."""
    cache_key = (tenant.id, kid)
    if cache_key not in _public_keys:
        jwk = db.session.scalar(select(SigningKey.public_jwk).where(SigningKey.kid == kid))
        if jwk is None:
            return None
        _public_keys[cache_key] = (RSAKey if jwk["kty"] == "RSA" else ECKey).import_key(jwk)
    return _public_keys[cache_key]


def verify_jwt(token_string: str, tenant: Tenant, typ: str) -> tuple[str, dict] | None:
    """``(kid, claims)`` of a JWT of type ``typ`` whose signature verifies with one of this
    tenant's keys; None otherwise. Whether that key is still published is the caller's
    to check (:func:`key_is_published`)."""
    try:
        header = _unverified_segment(token_string, 0)
        kid = header.get("kid", "")
        key = _public_key(tenant, kid) if isinstance(kid, str) else None
        if key is None or header.get("typ") != typ:
            return None
        claims = jwt.decode(token_string, KeySet([key]), algorithms=["RS256", "ES256"]).claims
    except (JoseError, ValueError, IndexError, KeyError, TypeError):
        return None
    return kid, claims


def key_is_published(kid: str):
    """SQL: the signing key ``kid`` is still in the tenant's JWKS (not revoked, not expired
    from it), for reading in the same query as what it signed."""
    return select(SigningKey.id).where(SigningKey.kid == kid,
                                       SigningKey.published_at(utcnow())).exists()


def verify_access_token(token_string: str, tenant: Tenant, issuer: str,
                        audience: str | None = None) -> tuple[str, dict] | None:
    """``(kid, claims)`` of an unexpired access token of this tenant whose signature
    verifies (for ``audience``, when given: RFC 9068 §4), or None (the key's publication
    is checked by :func:`find_access_token`)."""
    verified = _verified_signature(token_string, tenant)
    if verified is None:
        return None
    claims = verified[1]
    if (claims.get("iss") != issuer or claims.get("tid") != str(tenant.id)
            or not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time()):
        return None
    if audience is not None and audience not in _audiences(claims.get("aud")):
        return None
    return verified


def _verified_signature(token_string: str, tenant: Tenant) -> tuple[str, dict] | None:
    """:func:`verify_jwt` of an access token, once per process for each token (see the
    module docstring)."""
    cache_key = (tenant.id, hashlib.sha256(token_string.encode()).digest())
    verified = _verified.get(cache_key)
    if verified is None:
        verified = verify_jwt(token_string, tenant, ACCESS_TOKEN_TYPE)
        if verified is not None:
            with _verified_lock:
                if len(_verified) >= VERIFIED_TOKENS:
                    del _verified[next(iter(_verified))]
                _verified[cache_key] = verified
    return verified


def _audiences(aud) -> list:
    return aud if isinstance(aud, list) else [aud]


def find_access_token(token_string: str, tenant: Tenant, issuer: str,
                      audience: str | None = None) -> Token | None:
    """The recorded access token for ``token_string`` if it verifies (see module docstring):
    its row and whether its key is still published come back from one query."""
    verified = verify_access_token(token_string, tenant, issuer, audience)
    if verified is None:
        return None
    kid, claims = verified
    row = db.session.execute(select(Token, key_is_published(kid))
                             .where(Token.jti == claims.get("jti"))).first()
    if row is None or not row[1]:
        return None
    g.access_token_claims = claims
    return row[0]


def verified_claims() -> dict:
    """The claims of the access token :func:`find_access_token` last found in this request."""
    return g.access_token_claims


def find_refresh_token(token_string: str) -> Token | None:
    """The token row holding this refresh token, in the current tenant, or None."""
    return db.session.scalar(select(Token).where(Token.refresh_token_hash == digest(token_string)))


def revoke_grant(grant: Grant, actor: audit.Actor, reason: str) -> None:
    """Revoke a grant and every token issued under it (RFC 7009 §2.1, RFC 9700 §4.14)."""
    now = utcnow()
    db.session.execute(update(Grant).where(Grant.id == grant.id, Grant.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    db.session.execute(update(Token).where(Token.grant_id == grant.id, Token.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    db.session.expire(grant)
    audit.record("grant.revoked", actor, grant, reason=reason)
    TOKENS_REVOKED.labels(g.get("tenant_slug", ""), "grant").inc()


def revoke_access_token(token: Token, actor: audit.Actor) -> None:
    """Revoke one access token; its grant and refresh token live on."""
    token.revoked_at = utcnow()
    audit.record("token.revoked", actor, token.grant, jti=token.jti)
    TOKENS_REVOKED.labels(g.get("tenant_slug", ""), "access_token").inc()
