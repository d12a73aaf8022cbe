"""The identifiers that travel in URLs between the apps, and URL converters that route
only well-formed ones (both apps register :data:`CONVERTERS`).

A path that names a malformed slug or token does not match any route: it is a
404 before any view, lookup or outbound call sees it. The frontend checks the
same formats before it builds a path for the API, which it calls with a
privileged key.
"""
from __future__ import annotations

import re

from werkzeug.routing import BaseConverter

#: A tenant slug: lowercase letters, digits and hyphens, 2 to 63 characters.
SLUG = r"[a-z0-9-]{2,63}"
#: What ``secrets.token_urlsafe(32)`` makes (a sign-in challenge, a console session id):
#: 32 random bytes as 43 URL-safe characters.
TOKEN = r"[A-Za-z0-9_-]{43}"


def is_slug(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(SLUG, value) is not None


def is_token(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(TOKEN, value) is not None


class SlugConverter(BaseConverter):
    """``<slug:name>``: a tenant slug."""

    regex = SLUG


class TokenConverter(BaseConverter):
    """``<token:name>``: a 43-character URL-safe token."""

    regex = TOKEN


CONVERTERS = {"slug": SlugConverter, "token": TokenConverter}
