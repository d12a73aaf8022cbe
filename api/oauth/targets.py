"""Resource indicators (RFC 8707): which resource server an access token is for.

Every access token names its resource in ``aud`` (RFC 9068 §3): the one the client
asked for with ``resource`` (a registered API of the tenant, :mod:`api.resources`),
else the tenant's own REST API, ``{issuer}/api/v1``, which is built in and accepts
the permission scopes. A token carries only scopes its resource accepts, besides
the identity scopes (they concern the authorization server: ID token, userinfo,
refresh). An unknown, relative or fragment-bearing resource is ``invalid_target``
(RFC 8707 §2); so is asking for more than one resource, since a token here has
exactly one audience.

A grant decides its target while it validates the request (:func:`bind`); the
token generator reads it back (:func:`bound`) when it mints the token.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from flask import g

from api.rbac.permissions import ALL, IDENTITY_SCOPES
from api.resources import services as resources
from api.tenancy.context import current_tenant, issuer_url

API_PATH = "/api/v1"
API_NAME = "Tessera REST API"


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the requested resource is invalid, unknown or malformed."""

    error = "invalid_target"


@dataclass(frozen=True)
class Target:
    """A resource server: its identifier (``aud``), name and the scopes it accepts."""

    identifier: str
    name: str
    scopes: frozenset[str]
    builtin: bool = False

    @property
    def stored(self) -> str | None:
        """How grants and codes remember it: None for the built-in REST API."""
        return None if self.builtin else self.identifier

    def narrow(self, scope: str) -> str:
        """The scopes of ``scope`` a token for this resource may carry."""
        return " ".join(s for s in scope.split() if s in self.scopes or s in IDENTITY_SCOPES)


def api_identifier() -> str:
    """The tenant REST API's resource identifier: ``{issuer}/api/v1``."""
    return issuer_url(current_tenant()) + API_PATH


def rest_api() -> Target:
    return Target(api_identifier(), API_NAME, frozenset(ALL), builtin=True)


def resolve(values: list[str] | str | None) -> Target:
    """The target named by ``resource`` (none: the REST API); InvalidTargetError otherwise."""
    if isinstance(values, str):
        values = [values]
    values = list(dict.fromkeys(values or []))
    if not values:
        return rest_api()
    if len(values) > 1:
        raise InvalidTargetError("Ask for one resource per access token.")
    return lookup(values[0])


def lookup(identifier: str | None) -> Target:
    """The target a stored or requested identifier names (None: the REST API)."""
    if identifier is None or identifier == api_identifier():
        return rest_api()
    try:
        parts = urlsplit(identifier)
    except ValueError:
        parts = None
    if not parts or not parts.scheme or not parts.netloc or "#" in identifier:
        raise InvalidTargetError("A resource is an absolute URI without a fragment.")
    resource = resources.find(identifier)
    if resource is None:
        raise InvalidTargetError("No such resource is registered with this tenant.")
    return Target(resource.identifier, resource.name, resource.scopes)


def from_request(oauth_request) -> Target:
    """The target of the ``resource`` parameters of an OAuth request."""
    return resolve(oauth_request.payload.datalist.get("resource"))


def audience_of(stored: str | None) -> str:
    """The ``aud`` of the tokens of a grant that remembers ``stored``."""
    return stored or api_identifier()


def bind(target: Target, exchange: dict | None = None) -> Target:
    """Make ``target`` what the next token of this request is for; ``exchange`` is a token
    exchange's subject and actor (``{"subject": sub, "act": {...}}``, RFC 8693 §4.1)."""
    g.token_target, g.token_exchange = target, exchange
    return target


def bound() -> tuple[Target, dict | None]:
    """What :func:`bind` chose for this request (the REST API if nothing was bound)."""
    return g.get("token_target") or rest_api(), g.get("token_exchange")
