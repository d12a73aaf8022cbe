"""``error_description`` text in the characters RFC 6749 §5.2 allows (printable ASCII
without ``"`` and ``\\``): messages that quote a client's input (a URI, a host) are
cut down to them, since Authlib refuses any other character."""
from __future__ import annotations

ALLOWED = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def plain(text: str, limit: int = 300) -> str:
    """``text`` with every character RFC 6749 does not allow replaced by ``?``."""
    return "".join(c if c in ALLOWED else "?" for c in text[:limit])
