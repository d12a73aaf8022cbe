"""Server-generated secrets: creation, storage digests and constant-time checks.

Client secrets, refresh tokens and authorization codes are high-entropy values
Tessera generates itself, so a SHA-256 digest is enough to store them safely; a
password KDF would add latency and no security (see the OAuth issue's budget).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets


def generate_secret(nbytes: int = 32) -> str:
    """A URL-safe random secret with ``nbytes`` bytes of entropy (by default 43 characters,
    the ``token`` format of :mod:`identifiers`)."""
    return secrets.token_urlsafe(nbytes)


def digest(secret: str) -> str:
    """The stored form of a server-generated secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches_digest(secret: str, stored_digest: str | None) -> bool:
    """Constant-time check of ``secret`` against a stored digest."""
    if not stored_digest:
        return False
    return hmac.compare_digest(digest(secret), stored_digest)
