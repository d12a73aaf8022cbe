"""Password hashing (argon2id, OWASP parameters) and the password policy.

The policy (NIST SP 800-63B §5.1.1.2) asks for length, not composition: at
least the tenant's minimum (12 by default), at most 256 characters, not one of
the most common passwords, and not guessable by zxcvbn's estimator. The list of
common passwords is the one zxcvbn ships (the 30,000 most frequent of Mark
Burnett's / Xato's ten-million-password corpus, MIT licence); zxcvbn also weighs
the user's own details (email, names, tenant) as guessable words.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 256
#: zxcvbn score (0-4) a password needs: 3 is "safely unguessable", about 10^8 guesses or more.
MIN_SCORE = 3
#: zxcvbn's own limit; longer passwords are judged on their first 72 characters.
_ZXCVBN_MAX = 72

#: Verified against when a user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("tessera-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """An argon2id PHC string for ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; with no hash, spend the same time and return False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, min_length: int = MIN_LENGTH,
                     user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too weak, in words a person can act on; None when it is fine."""
    if len(password) < min_length:
        return f"must be at least {min_length} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.lower() in _common_passwords():
        return "is one of the most common passwords; choose another"
    inputs = [word for value in user_inputs if value
              for word in (value, *value.replace("@", " ").replace(".", " ").split())]
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=inputs)
    if result["score"] < MIN_SCORE:
        feedback = result["feedback"]
        reasons = [feedback["warning"], *feedback["suggestions"]] if feedback["warning"] \
            else feedback["suggestions"]
        advice = " ".join(reason for reason in reasons if reason) or \
            "Add another word or two. Uncommon words are better."
        return f"is too easy to guess. {advice}"
    return None
