"""The JSON bodies the frontend's own scripts post (``static/passkeys.js``)."""
from __future__ import annotations

from flask import request


def posted_object() -> dict:
    """The request's JSON object; anything else (no JSON, another type, nesting deeper than
    the parser goes) is an empty one, which the API then refuses field by field."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    return body if isinstance(body, dict) else {}
