"""Client authentication with signed JWTs: ``private_key_jwt`` and ``client_secret_jwt``
(RFC 7523 §2.2 and §3, OIDC Core §9), at every endpoint that authenticates clients.

Authlib parses and checks the assertion (``iss`` = ``sub`` = the client, ``exp``,
signature); this module supplies the tenant's part:

- ``aud`` must name this tenant: its issuer, its token endpoint, or the endpoint
  the assertion is presented to;
- ``exp`` at most :data:`MAX_LIFETIME` ahead (so the replay store stays bounded);
- each ``jti`` is accepted once per client: it is stored (:class:`ClientAssertion`)
  until the assertion expires, and a replay is ``invalid_client``;
- ``private_key_jwt`` verifies with the client's registered ``jwks``, or with the
  keys fetched from its ``jwks_uri`` (:mod:`api.outbound`: the SSRF rules), kept
  :data:`JWKS_TTL` seconds per process and fetched again when an assertion names an
  unknown ``kid`` (at most every :data:`REFETCH_INTERVAL` seconds);
- ``client_secret_jwt`` verifies with the client's secret, which such clients keep
  sealed (:data:`api.extensions.client_secret_sealer`).
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timezone

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7523.client import ASSERTION_TYPE
from flask import current_app, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from api import outbound
from api.clients.models import CLIENT_SECRET_JWT, PRIVATE_KEY_JWT, Client
from api.db import independent_transaction
from api.extensions import client_secret_sealer, db
from api.oauth.descriptions import plain
from api.oauth.models import ClientAssertion
from api.tenancy.context import current_tenant, issuer_url

MAX_LIFETIME = 3600
LEEWAY = 60
JWKS_TTL = 60
REFETCH_INTERVAL = 5
log = logging.getLogger(__name__)
#: (tenant id, jwks_uri) -> (monotonic time fetched, keys)
_fetched: dict[tuple, tuple[float, KeySet]] = {}


class TenantClientAssertion(JWTBearerClientAssertion):
    """What both JWT methods share: audience, lifetime and replay checks."""

    ALGORITHMS: tuple[str, ...] = ()

    def __init__(self):
        super().__init__(leeway=LEEWAY)

    def __call__(self, query_client, request):
        """Leave an assertion of a client registered for the other JWT method to that one."""
        if request.form.get("client_assertion_type") == ASSERTION_TYPE and \
                request.form.get("client_assertion"):
            _, claims = self.extract_assertion(request.form["client_assertion"])
            sub = claims.get("sub")
            client = query_client(sub) if isinstance(sub, str) else None
            if client is not None and client.token_endpoint_auth_method != \
                    self.CLIENT_AUTH_METHOD:
                return None
        return super().__call__(query_client, request)

    def get_audiences(self) -> list[str]:
        issuer = issuer_url(current_tenant())
        return [issuer, f"{issuer}/token", current_app.config["PUBLIC_API_URL"] + request.path]

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(self.ALGORITHMS))
        except (JoseError, ValueError) as error:
            raise InvalidClientError(description="The client assertion does not verify.") \
                from error
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims) -> None:
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp > time.time() + MAX_LIFETIME + LEEWAY:
            raise InvalidClientError(description=f"The client assertion must expire within "
                                                 f"{MAX_LIFETIME} seconds.")
        super().verify_claims(claims)

    def validate_jti(self, claims, jti) -> bool:
        """Record ``jti`` for this client until the assertion expires; False if it was.

        The record commits in a transaction of its own: the assertion is spent once
        accepted, whether the request then fails or, as introspection does, commits
        nothing itself."""
        if not isinstance(jti, str) or not 0 < len(jti) <= 255:
            return False
        client = db.session.scalar(select(Client).where(Client.client_id == claims["sub"]))
        expires_at = datetime.fromtimestamp(claims["exp"] + LEEWAY, timezone.utc)
        try:
            with independent_transaction(db.session) as connection:
                connection.execute(insert(ClientAssertion.__table__).values(
                    id=uuid.uuid4(), tenant_id=client.tenant_id, client_id=client.id,
                    jti=jti, expires_at=expires_at))
        except IntegrityError:
            return False
        return True


class PrivateKeyJWT(TenantClientAssertion):
    """``private_key_jwt``: an assertion signed with the client's private key."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT
    ALGORITHMS = ("RS256", "PS256", "ES256")

    def resolve_client_public_key(self, client: Client):
        return lambda guest: client_key(client, guest.headers())


class ClientSecretJWT(TenantClientAssertion):
    """``client_secret_jwt``: an assertion MACed with the client's secret."""

    CLIENT_AUTH_METHOD = CLIENT_SECRET_JWT
    ALGORITHMS = ("HS256", "HS384", "HS512")

    def resolve_client_public_key(self, client: Client):
        if not client.client_secret_sealed:
            raise InvalidClientError(description="The client has no secret to verify with.")
        return OctKey.import_key(client_secret_sealer.unseal(client.client_secret_sealed))


def client_key(client: Client, header: dict):
    """The key of ``client`` that the assertion's header names (``kid``, else its ``alg``)."""
    kid = header.get("kid")
    keys = _client_keys(client, refresh=False)
    key = _pick(keys, kid, header.get("alg"))
    if key is None and kid and client.jwks_uri:
        key = _pick(_client_keys(client, refresh=True), kid, header.get("alg"))
    if key is None:
        raise InvalidClientError(description="No registered key of the client matches the "
                                             "assertion.")
    return key


def _pick(keys: KeySet, kid: str | None, alg: str | None):
    kty = {"R": "RSA", "P": "RSA", "E": "EC"}.get((alg or "?")[0])
    candidates = [key for key in keys.keys if key.key_type == kty
                  and (kid is None or key.kid == kid)]
    return candidates[0] if len(candidates) == 1 or (kid and candidates) else None


def _client_keys(client: Client, refresh: bool) -> KeySet:
    if client.jwks:
        return KeySet.import_key_set(client.jwks)
    if not client.jwks_uri:
        raise InvalidClientError(description="The client registered no keys.")
    cache_key = (client.tenant_id, client.jwks_uri)
    cached = _fetched.get(cache_key)
    age = time.monotonic() - cached[0] if cached else None
    if cached and (age < REFETCH_INTERVAL or (not refresh and age < JWKS_TTL)):
        return cached[1]
    try:
        keys = KeySet.import_key_set(outbound.fetch_json(client.jwks_uri))
    except (outbound.OutboundError, JoseError, ValueError, TypeError, KeyError) as error:
        log.warning("jwks_uri of client %s not usable: %s", client.client_id, error)
        raise InvalidClientError(description=plain(f"The client's jwks_uri is not usable: "
                                                   f"{error}")) from error
    _fetched[cache_key] = (time.monotonic(), keys)
    return keys
