"""What the API accepts at its edge: malformed input is a 4xx before any view, Authlib or
the database sees it.

- Bodies: at most ``MAX_CONTENT_LENGTH`` (:data:`settings.MAX_BODY_BYTES`, nginx's
  ``client_max_body_size`` too), else 413.
- Text: no NUL in the path, the query, form fields or any header (PostgreSQL
  refuses NUL; RFC 9110 §5.5 lets a recipient reject it), and no other control
  character in the path, else 400.
- Authorization: ``scheme credentials``; Basic credentials (RFC 7617, decoded as
  Authlib does: base64, UTF-8, then RFC 6749 §2.3.1 form-decoding) must be UTF-8
  without NUL, else :class:`MalformedCredentials` (RFC 6749 ``invalid_client`` on the
  protocol endpoints).
- JSON bodies (:class:`StrictJSONProvider`): RFC 8259 UTF-8, nested at most
  :data:`MAX_JSON_DEPTH` deep (checked before the parser recurses), numbers
  finite, strings valid Unicode (no lone surrogates) without NUL, else 400.
- Cookies: the API keeps no session (:class:`NoCookieSession`); a session cookie means
  nothing to it.

Path identifiers are checked by the router itself (the converters of :mod:`identifiers`).
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
from itertools import accumulate
from urllib.parse import unquote

from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SessionInterface
from werkzeug.exceptions import BadRequest

#: Arrays and objects inside each other; Tessera's own payloads need a handful.
MAX_JSON_DEPTH = 32

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")
#: A JSON string literal, and the brackets left when they are removed.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class MalformedCredentials(BadRequest):
    """An Authorization header that cannot name any client (Basic credentials that are not
    UTF-8 or hold NUL, a scheme without credentials)."""

    description = "The Authorization header is malformed."


def refuse_malformed_requests() -> None:
    """A ``before_request`` hook: NUL anywhere in the request's text, control characters
    in its path, or malformed Basic credentials are a 400."""
    if _CONTROL.search(request.path):
        raise BadRequest("Control characters are not allowed in the path.")
    texts = [*request.args.values(), *request.form.values(), *request.headers.values()]
    if any("\x00" in text for text in texts):
        raise BadRequest("NUL characters are not allowed.")
    if not _basic_credentials_well_formed(request.headers.get("Authorization", "")):
        raise MalformedCredentials()


def _basic_credentials_well_formed(authorization: str) -> bool:
    """Whether Authlib can read ``authorization`` (rfc6749.util.extract_basic_authorization
    fails on a header with a space but one word, and on credentials that are not UTF-8)."""
    if " " not in authorization:
        return True  # Authlib: no credentials
    parts = authorization.split(None, 1)
    if len(parts) < 2:
        return False
    scheme, credentials = parts
    if scheme.lower() != "basic":
        return True
    try:
        decoded = base64.b64decode(credentials)
    except binascii.Error:
        return True  # not base64: Authlib sees no credentials and answers invalid_client
    except ValueError:
        return False  # not even ASCII
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\x00" not in unquote(text)


class NoCookieSession(SessionInterface):
    """The API keeps no cookie session: every caller says who it is on each request (a
    bearer token, client credentials, the frontend's key). Flask's default session would
    build a signing serializer on every request to look for a cookie the API never sets;
    this one hands Flask its null session, which refuses writes."""

    def open_session(self, app, request) -> None:
        return None

    def save_session(self, app, session, response) -> None:
        return None


class ApiRequest(Request):
    """Flask's request, saying why a JSON body was refused (Flask hides it outside debug)."""

    def on_json_loading_failed(self, e: ValueError | None):
        raise BadRequest(f"The request body is not valid JSON: {e}" if e is not None
                         else "The request body must be JSON.")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON with strict parsing of request bodies (see the module docstring)."""

    def loads(self, s: str | bytes, **kwargs):
        text = s.decode(json.detect_encoding(s)) if isinstance(s, bytes) else s
        if _nesting_depth(text) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float,
                           **kwargs)
        if any(_NOT_TEXT.search(string) for string in _strings(value)):
            raise ValueError("JSON strings must be valid Unicode without NUL characters")
        return value


def _nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, counted without parsing it."""
    steps = map(_DEPTH_STEP.__getitem__, _BRACKETS.findall(_JSON_STRING.sub("", text)))
    return max(accumulate(steps), default=0)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(f"{literal} is out of range")
    return number


def _strings(value):
    """Every string in a parsed JSON value, keys included (its depth is bounded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
