"""What the introspection endpoint reads (RFC 7662): its client and the token, in one statement.

An introspection request names both before anything is read: the client authenticating
(``client_id``) and the token to introspect. When the token is an access token whose
signature and claims are the tenant's (:func:`api.oauth.bearer.verify`), the client's row
(:mod:`api.clients.lookup`) and the bearer check of the token (:data:`api.oauth.bearer.CHECK`:
the token, its grant and key unrevoked, the tenant's bearer generation) come back from one
prepared statement, :data:`CLIENT_AND_TOKEN`: one round trip per request, where a client's
read and then the token's took two. The token's client and user come from the bearer cache
as for any bearer token (:func:`api.oauth.bearer.checked`). Both rows are read in the
request, in the same snapshot, with the tenant filter of each statement and row-level
security, so a revocation counts as at once as it does for the REST API.

The token's result waits in the request (``g``) until the endpoint asks for the same token
string (:func:`access_token`), which it does only once the client has authenticated; a
request whose client does not is refused before anything about the token is said. On
SQLite, which keeps no bearer generation, and for a refresh token, each is read on its own.
"""
from __future__ import annotations

from flask import g, request

from api.clients import lookup as clients
from api.clients.models import Client
from api.db import utcnow
from api.oauth import bearer
from api.tenancy.context import issuer_url
from api.tenancy.models import Tenant

#: The client with the bearer check of the token (its columns null when the check finds none).
CLIENT_AND_TOKEN = clients.lookup_with("tessera_introspection_client", bearer.CHECK.statement)


def find_client(tenant: Tenant, client_id: str) -> Client | None:
    """The tenant's client ``client_id``, detached (the endpoint only reads it); on
    PostgreSQL with the access token the request presents, checked in the same statement,
    for :func:`access_token`."""
    verified = _presented_access_token(tenant)
    if verified is None:
        return clients.find_with(clients.LOOKUP, tenant.id, client_id, attached=False)[0]
    token_string, (jti, kid, claims) = verified
    client, check = clients.find_with(CLIENT_AND_TOKEN, tenant.id, client_id, attached=False,
                                      jti=jti, kid=kid, now=utcnow())
    if client is not None:
        g.introspected = token_string, (jti, kid, claims, check if check[0] else None)
    return client


def access_token(token_string: str, tenant: Tenant) -> bearer.Bearer | None:
    """The access token ``token_string`` if the tenant accepts it (for any audience): as
    :func:`find_client` checked it with the client, or read now."""
    introspected = g.pop("introspected", None)
    if introspected is not None and introspected[0] == token_string:
        return bearer.checked(tenant.id, *introspected[1])
    return bearer.authenticate(token_string, tenant, issuer_url(tenant))


def _presented_access_token(tenant: Tenant) -> tuple[str, tuple] | None:
    """The token the request presents with :func:`api.oauth.bearer.verify`'s result, where
    it verifies as an access token and the database keeps bearer generations."""
    token_string = request.form.get("token")
    if not token_string or request.form.get("token_type_hint") == "refresh_token" \
            or not bearer.uses_generations():
        return None
    verified = bearer.verify(token_string, tenant, issuer_url(tenant))
    return None if verified is None else (token_string, verified)
