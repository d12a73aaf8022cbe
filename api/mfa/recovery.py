"""Recovery codes: ten single-use codes, shown once, stored as SHA-256 digests.

A code is ten characters of the RFC 4648 base32 alphabet (50 bits, written ``abcde-fghij``),
generated here, so a plain digest stores it safely (:mod:`api.security`). Typing is
forgiving: case, spaces and hyphens do not matter. A code is claimed with one conditional
UPDATE, so of two uses at once exactly one wins.
"""
from __future__ import annotations

import re
import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy import delete, func, select, update

from api.db import utcnow
from api.extensions import db
from api.mfa.models import RecoveryCode
from api.security import digest

COUNT = 10
ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_SEPARATORS = re.compile(r"[\s-]+")


def _normalize(code: str) -> str:
    return _SEPARATORS.sub("", code).lower()


def replace(user_id: uuid.UUID) -> list[str]:
    """A fresh set of COUNT codes for the user (the old ones stop working); returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(10)) for _ in range(COUNT)]
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=digest(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def first_codes(user_id: uuid.UUID) -> list[str]:
    """For a user who just added a factor: a fresh set of codes (returned once) if they have
    none left, else none (their codes stay as they are)."""
    return [] if remaining(user_id) else replace(user_id)


def held(user_id: uuid.UUID) -> sa.Exists:
    """SQL: whether the user has an unused code."""
    return select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                         RecoveryCode.used_at.is_(None)).exists()


def remaining(user_id: uuid.UUID) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))


def use(user_id: uuid.UUID, code: str) -> bool:
    """Claim one of the user's unused codes; False when ``code`` is none of them."""
    normalized = _normalize(code)
    if len(normalized) != 10:
        return False
    return bool(db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == digest(normalized),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount)


def discard(user_id: uuid.UUID) -> None:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
