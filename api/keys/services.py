"""Signing keys: creation, rotation, the JWKS, and the per-process key cache.

Private keys are stored as PEM sealed with a key derived from SECRET_KEY
(:data:`api.extensions.signing_key_sealer`). A process decrypts and parses each key once and then
keeps it (``_loaded``), so signing never re-parses PEM.
"""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import select

from api.db import utcnow
from api.extensions import db, signing_key_sealer
from api.keys.models import SigningKey

DEFAULT_ALGORITHM = "RS256"
#: Supported JWS algorithms and how to make a key for each.
ALGORITHMS = {
    "RS256": lambda: RSAKey.generate_key(2048, private=True),
    "ES256": lambda: ECKey.generate_key("P-256", private=True),
}
_KEY_TYPES = {"RS256": RSAKey, "ES256": ECKey}
#: Clock-skew allowance added to a retired key's publication window.
LEEWAY = timedelta(minutes=5)

#: How long a process keeps using the active key it looked up. Safe: after a rotation a
#: retired key stays published for the token lifetime plus LEEWAY, far longer than this.
ACTIVE_KEY_TTL = 30

_loaded: dict[str, RSAKey | ECKey] = {}
_active: dict[uuid.UUID, tuple[float, str, str]] = {}


def create_key(tenant_id: uuid.UUID, algorithm: str = DEFAULT_ALGORITHM) -> SigningKey:
    """A new active key for the tenant (added to the session, not committed)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    jwk = ALGORITHMS[algorithm]()
    kid = jwk.thumbprint()
    public = dict(jwk.as_dict(private=False), kid=kid, alg=algorithm, use="sig")
    key = SigningKey(tenant_id=tenant_id, kid=kid, algorithm=algorithm, public_jwk=public,
                     private_key_encrypted=signing_key_sealer.seal(jwk.as_pem(private=True)))
    db.session.add(key)
    return key


def rotate(tenant_id: uuid.UUID, token_lifetime: int,
           algorithm: str = DEFAULT_ALGORITHM) -> SigningKey:
    """Retire the active keys and add a new one.

    A retired key stays in the JWKS for ``token_lifetime`` seconds (plus leeway),
    so every token it signed keeps verifying until it expires.
    """
    now = utcnow()
    for old in db.session.scalars(select(SigningKey).where(SigningKey.is_active)):
        old.is_active = False
        old.retired_at = now
        old.publish_until = now + timedelta(seconds=token_lifetime) + LEEWAY
    _active.pop(tenant_id, None)
    return create_key(tenant_id, algorithm)


def active_key(tenant_id: uuid.UUID) -> tuple[str, str, RSAKey | ECKey]:
    """``(kid, alg, key)`` of the tenant's newest active key, parsed once per process."""
    cached = _active.get(tenant_id)
    if cached is None or cached[0] < time.monotonic():
        kid, alg, encrypted = db.session.execute(
            select(SigningKey.kid, SigningKey.algorithm, SigningKey.private_key_encrypted)
            .where(SigningKey.tenant_id == tenant_id, SigningKey.is_active)
            .order_by(SigningKey.created_at.desc()).limit(1)).one()
        if kid not in _loaded:
            pem = signing_key_sealer.unseal(encrypted)
            _loaded[kid] = _KEY_TYPES[alg].import_key(pem, parameters={"kid": kid})
        cached = _active[tenant_id] = (time.monotonic() + ACTIVE_KEY_TTL, kid, alg)
    _, kid, alg = cached
    return kid, alg, _loaded[kid]


def published_keys(tenant_id: uuid.UUID) -> list[SigningKey]:
    """The keys in the tenant's JWKS now: active ones and recently retired ones."""
    now = utcnow()
    keys = db.session.scalars(select(SigningKey).where(SigningKey.tenant_id == tenant_id)
                              .order_by(SigningKey.created_at.desc()))
    return [key for key in keys if key.is_published(now)]


def jwks(tenant_id: uuid.UUID) -> dict:
    """The tenant's JSON Web Key Set (RFC 7517 §5)."""
    return {"keys": [key.public_jwk for key in published_keys(tenant_id)]}
