"""Token lifecycle: recording issued tokens, finding them again, rotation and revocation.

Access tokens are RFC 9068 JWTs signed with the tenant's key. A token is
accepted only when its signature verifies with one of *this* tenant's published
keys, its ``iss`` and ``tid`` name this tenant, it has not expired, its ``aud``
is the resource that checks it (the REST API checks for ``{issuer}/api/v1``), and
its ``jti`` row exists in this tenant's scope with neither it nor its grant
revoked. The row lookup happens on every use, so revocation takes effect at once
on every process.
"""
from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from flask import g
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import select, update

import observability
from api import audit
from api.db import utcnow
from api.extensions import db
from api.keys.models import SigningKey
from api.oauth import targets
from api.oauth.models import Grant, Token
from api.security import digest
from api.tenancy.models import Tenant

ACCESS_TOKEN_TYPE = "at+jwt"
TOKENS_ISSUED = observability.counter("tessera_tokens_issued_total", "Tokens issued",
                                      ["grant_type", "tenant"])
TOKENS_REVOKED = observability.counter("tessera_tokens_revoked_total",
                                       "Grants and access tokens revoked", ["tenant", "kind"])
_public_keys: dict[tuple[uuid.UUID, str], RSAKey | ECKey] = {}


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, timezone.utc)


def _unverified_segment(jwt_string: str, index: int) -> dict:
    """Header (0) or claims (1) of a JWT, without verifying anything."""
    segment = jwt_string.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def record_issued(token: dict, request, tenant: Tenant) -> Token:
    """Store what the token endpoint just issued (Authlib's ``save_token``)."""
    claims = _unverified_segment(token["access_token"], 1)  # we signed it a moment ago
    client, user = request.client, request.user
    refresh = token.get("refresh_token")
    refresh_expires_at = utcnow() + timedelta(seconds=tenant.refresh_token_lifetime)
    grant_expires_at = refresh_expires_at if refresh else _at(claims["exp"])
    previous = getattr(request, "refresh_token", None)
    if previous is not None:
        grant = previous.grant
        grant.expires_at = grant_expires_at
    else:
        target, exchange = targets.bound()
        grant = Grant(id=uuid.uuid4(), client_id=client.id, user_id=user.id if user else None,
                      grant_type=request.payload.grant_type, scope=token.get("scope", ""),
                      expires_at=grant_expires_at, resource=target.stored, exchange=exchange)
        db.session.add(grant)
        code = getattr(request, "authorization_code", None)
        if code is not None:  # so that a replay of the code can revoke this grant
            db.session.flush()  # the grant row first: nothing tells the ORM the code needs it
            code.grant_id = grant.id
    row = Token(grant=grant, jti=claims["jti"], scope=token.get("scope", ""),
                issued_at=_at(claims["iat"]), access_expires_at=_at(claims["exp"]),
                refresh_token_hash=digest(refresh) if refresh else None,
                refresh_expires_at=refresh_expires_at if refresh else None)
    db.session.add(row)  # flushed with the audit event when the token endpoint commits
    actor = audit.Actor.of_user(user) if user else audit.Actor.of_client(client)
    audit.record("token.issued", actor, grant, client_id=client.client_id,
                 grant_type=request.payload.grant_type, scope=row.scope, jti=row.jti)
    TOKENS_ISSUED.labels(request.payload.grant_type, tenant.slug).inc()
    return row


def _public_key(tenant: Tenant, kid: str) -> RSAKey | ECKey | None:
    """This tenant's published verification key ``kid``, parsed once per process."""
    cache_key = (tenant.id, kid)
    if cache_key not in _public_keys:
        row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
        if row is None or not row.is_published(utcnow()):
            return None
        key_type = RSAKey if row.public_jwk["kty"] == "RSA" else ECKey
        _public_keys[cache_key] = key_type.import_key(row.public_jwk)
    return _public_keys[cache_key]


def verify_access_token(token_string: str, tenant: Tenant, issuer: str,
                        audience: str | None = None) -> dict | None:
    """The claims of a valid, unexpired access token of this tenant (for ``audience``, when
    given: RFC 9068 §4), or None."""
    try:
        header = _unverified_segment(token_string, 0)
        key = _public_key(tenant, header.get("kid", ""))
        if key is None or header.get("typ") != ACCESS_TOKEN_TYPE:
            return None
        claims = jwt.decode(token_string, KeySet([key]), algorithms=["RS256", "ES256"]).claims
    except (JoseError, ValueError, IndexError, KeyError, TypeError):
        return None
    if (claims.get("iss") != issuer or claims.get("tid") != str(tenant.id)
            or not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time()):
        return None
    if audience is not None and audience not in _audiences(claims.get("aud")):
        return None
    return claims


def _audiences(aud) -> list:
    return aud if isinstance(aud, list) else [aud]


def find_access_token(token_string: str, tenant: Tenant, issuer: str,
                      audience: str | None = None) -> Token | None:
    """The recorded access token for ``token_string`` if it verifies (see module docstring)."""
    claims = verify_access_token(token_string, tenant, issuer, audience)
    if claims is None:
        return None
    token = db.session.scalar(select(Token).where(Token.jti == claims.get("jti")))
    if token is not None:
        g.access_token_claims = claims
    return token


def verified_claims() -> dict:
    """The claims of the access token :func:`find_access_token` last found in this request."""
    return g.access_token_claims


def find_refresh_token(token_string: str) -> Token | None:
    """The token row holding this refresh token, in the current tenant, or None."""
    return db.session.scalar(select(Token).where(Token.refresh_token_hash == digest(token_string)))


def claim_refresh_token(token: Token) -> bool:
    """Mark the refresh token used; False when another request already did (reuse).

    The grant row is locked first, as revocation locks it first (grant, then its
    tokens): parallel refreshes and revocations of one family queue up in the same
    order instead of deadlocking.
    """
    db.session.execute(select(Grant.id).where(Grant.id == token.grant_id).with_for_update())
    result = db.session.execute(
        update(Token).where(Token.id == token.id, Token.refresh_used_at.is_(None))
        .values(refresh_used_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount == 1


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
