"""Signing keys: creation, rotation (at once or pre-published), revocation, the JWKS.

A key is published in the tenant's JWKS from its creation. It signs from
``activates_at``: at once (``keys rotate``, the emergency case), or after a
pre-publication delay at least as long as the JWKS cache lifetime
(:data:`JWKS_CACHE_LIFETIME`), so that no resource server that caches the JWKS
meets a ``kid`` it does not know yet. Its predecessor retires at that moment and
stays published until every token it signed has expired. A revoked key leaves
the JWKS at once, and no token it signed verifies any more.

Nothing that can change is cached per process, so a rotation or revocation takes
effect on every API process with the next request: which key signs is read once
per request that signs (one indexed query, prepared: :func:`active_key`; the token
endpoint reads it in the statement that reads the client, :func:`remember_active`), and
whether the key of a presented token is still good is read with the token's own row
(:func:`api.oauth.tokens.find_access_token`). Only the immutable parsed key
material is kept per process, by ``kid`` (``_loaded``), so signing never
re-parses PEM.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import has_request_context, request
from joserfc.jwk import ECKey, RSAKey
import sqlalchemy as sa
from sqlalchemy import bindparam, select

from api.db import utcnow
from api.errors import Conflict, NotFound
from api.extensions import db, signing_key_sealer
from api.keys.models import SigningKey
from api.prepared import PreparedRead

DEFAULT_ALGORITHM = "RS256"
#: Supported JWS algorithms and how to make a key for each.
ALGORITHMS = {
    "RS256": lambda: RSAKey.generate_key(2048, private=True),
    "ES256": lambda: ECKey.generate_key("P-256", private=True),
}
_KEY_TYPES = {"RS256": RSAKey, "ES256": ECKey}
#: Clock-skew allowance added to a retired key's publication window.
LEEWAY = timedelta(minutes=5)
#: ``Cache-Control: max-age`` of the JWKS response.
JWKS_MAX_AGE = 60
#: The longest a resource server may hold a JWKS: its max-age plus the 5 s nginx caches it.
JWKS_CACHE_LIFETIME = JWKS_MAX_AGE + 5
#: The pre-publication delay of ``keys rotate-due``: the cache lifetime, with room to spare.
DEFAULT_PREPUBLISH = 2 * JWKS_CACHE_LIFETIME

_loaded: dict[str, RSAKey | ECKey] = {}
#: ``(kid, alg)`` of the key that signs for ``:tenant`` at ``:now``.
ACTIVE = select(SigningKey.kid, SigningKey.algorithm).where(
    SigningKey.tenant_id == bindparam("tenant", type_=sa.Uuid),
    SigningKey.signing_at(bindparam("now", type_=SigningKey.activates_at.type))) \
    .order_by(SigningKey.activates_at.desc()).limit(sa.literal_column("1"))
_ACTIVE = PreparedRead("tessera_signing_key", ACTIVE)


def create_key(tenant_id: uuid.UUID, algorithm: str = DEFAULT_ALGORITHM,
               activates_at: datetime | None = None) -> SigningKey:
    """A new key for the tenant, signing from ``activates_at`` (now by default); added to
    the session, not committed."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    jwk = ALGORITHMS[algorithm]()
    kid = jwk.thumbprint()
    public = dict(jwk.as_dict(private=False), kid=kid, alg=algorithm, use="sig")
    now = utcnow()
    key = SigningKey(tenant_id=tenant_id, kid=kid, algorithm=algorithm, public_jwk=public,
                     private_key_encrypted=signing_key_sealer.seal(jwk.as_pem(private=True)),
                     created_at=now, activates_at=activates_at or now)
    db.session.add(key)
    return key


def rotate(tenant_id: uuid.UUID, token_lifetime: int, algorithm: str = DEFAULT_ALGORITHM,
           prepublish: int = 0) -> SigningKey:
    """A new key that signs after ``prepublish`` seconds (0: at once); the keys it replaces
    retire then and stay published ``token_lifetime`` seconds more (plus leeway), so every
    token they signed keeps verifying until it expires."""
    if prepublish and prepublish < JWKS_CACHE_LIFETIME:
        raise ValueError(f"a pre-publication delay must be at least {JWKS_CACHE_LIFETIME} s "
                         "(the JWKS cache lifetime)")
    activates_at = utcnow() + timedelta(seconds=prepublish)
    for old in db.session.scalars(select(SigningKey).where(
            SigningKey.tenant_id == tenant_id, SigningKey.revoked_at.is_(None))):
        if old.retired_at is None or old.retired_at > activates_at:
            old.retired_at = activates_at
            old.publish_until = activates_at + timedelta(seconds=token_lifetime) + LEEWAY
    _forget_request_key(tenant_id)
    return create_key(tenant_id, algorithm, activates_at)


def revoke(tenant_id: uuid.UUID, kid: str,
           token_lifetime: int) -> tuple[SigningKey, SigningKey | None]:
    """Revoke a compromised key: out of the JWKS at once, every token it signed invalid.

    When it signs now or would sign later, a new key (same algorithm) signs at once in
    its place; returns the revoked key and that replacement, if any.
    """
    key = db.session.scalar(select(SigningKey).where(SigningKey.tenant_id == tenant_id,
                                                     SigningKey.kid == kid))
    if key is None:
        raise NotFound(f"no signing key {kid!r} in this tenant")
    if key.revoked_at is not None:
        raise Conflict(f"signing key {kid!r} is already revoked")
    now = utcnow()
    key.revoked_at = now
    replacement = None
    if key.retired_at is None or key.retired_at > now:
        db.session.flush()
        replacement = rotate(tenant_id, token_lifetime, key.algorithm)
    _forget_request_key(tenant_id)
    return key, replacement


def newest_key(tenant_id: uuid.UUID) -> SigningKey | None:
    """The tenant's newest unrevoked key (a pre-published one counts)."""
    return db.session.scalar(select(SigningKey).where(
        SigningKey.tenant_id == tenant_id, SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.created_at.desc()).limit(1))


def active_key(tenant_id: uuid.UUID) -> tuple[str, str, RSAKey | ECKey]:
    """``(kid, alg, key)`` of the key that signs for the tenant now: read once per request
    (an access token and an ID token of one response share it), parsed once per process."""
    remembered = _request_memo()
    if tenant_id not in remembered:
        remembered[tenant_id] = tuple(_ACTIVE.first(db.session, tenant_id, now=utcnow()))
    kid, alg = remembered[tenant_id]
    if kid not in _loaded:
        encrypted = db.session.scalar(select(SigningKey.private_key_encrypted)
                                      .where(SigningKey.kid == kid))
        pem = signing_key_sealer.unseal(encrypted)
        _loaded[kid] = _KEY_TYPES[alg].import_key(pem, parameters={"kid": kid})
    return kid, alg, _loaded[kid]


def remember_active(tenant_id: uuid.UUID, kid: str | None, alg: str | None) -> None:
    """What :data:`ACTIVE` found for the tenant when the request read it with something else
    (:func:`api.clients.lookup.lookup_with`): :func:`active_key` reads no more. Nothing when
    it found no key (:func:`active_key` then reads, and fails, itself)."""
    if kid is not None:
        _request_memo()[tenant_id] = (kid, alg)


def _request_memo() -> dict:
    """What this request has read already (nothing is kept outside a request)."""
    return request.environ.setdefault("tessera.signing_keys", {}) if has_request_context() \
        else {}


def _forget_request_key(tenant_id: uuid.UUID) -> None:
    _request_memo().pop(tenant_id, None)


def published_keys(tenant_id: uuid.UUID) -> list[SigningKey]:
    """The keys in the tenant's JWKS now: the signing key, a pre-published successor, and
    retired keys whose tokens may still be live; never a revoked one."""
    return list(db.session.scalars(select(SigningKey).where(
        SigningKey.tenant_id == tenant_id, SigningKey.published_at(utcnow()))
        .order_by(SigningKey.created_at.desc())))


def jwks(tenant_id: uuid.UUID) -> dict:
    """The tenant's JSON Web Key Set (RFC 7517 §5)."""
    return {"keys": [key.public_jwk for key in published_keys(tenant_id)]}
