"""``/clients`` use cases: registration, edits, secret rotation, deletion, within the write
policy of :mod:`api.access.policy`.

A client holds its registered permission scopes (``policy.client_holds``): its tokens can
carry them. Every write to an existing client starts with :func:`writable_client`, before
it looks at any field; registering or editing also checks the scope the client would have.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.access import policy
from api.access.caller import Caller
from api.clients import services as clients
from api.clients.models import PRIVATE_KEY_JWT, PUBLIC_AUTH_METHOD, Client
from api.errors import Conflict, NotFound
from api.extensions import db


def _check_scope_ceiling(caller: Caller, scope: str) -> None:
    """The write policy on what a client would hold: its scope after the write."""
    policy.check_can_grant(caller, policy.client_holds(scope), "a client scope")


def create_client(caller: Caller, client_name: str, grant_types: list[str], scope: str,
                  redirect_uris: list[str], auth_method: str, require_pkce: bool = True,
                  jwks: dict | None = None, jwks_uri: str | None = None, **metadata
                  ) -> tuple[Client, str | None]:
    """Register a client whose scopes the caller holds; returns it and its secret.
    ``metadata``: what people see (:data:`clients.DISPLAY_METADATA`: ``logo_uri``, ...) and
    the logout and CORS fields (:data:`clients.LOGOUT_AND_CORS`)."""
    _check_scope_ceiling(caller, scope)
    client, secret = clients.add_client(client_name, grant_types, scope, redirect_uris,
                                        public=auth_method == PUBLIC_AUTH_METHOD,
                                        actor=caller.actor, auth_method=auth_method,
                                        require_pkce=require_pkce, jwks=jwks, jwks_uri=jwks_uri,
                                        metadata=metadata)
    db.session.commit()
    return client, secret


def list_clients(client_name: str | None = None) -> Select:
    statement = select(Client).order_by(Client.client_name)
    if client_name:
        statement = statement.where(Client.client_name.icontains(client_name, autoescape=True))
    return statement


def get_client(client_uuid: uuid.UUID) -> Client:
    client = db.session.get(Client, client_uuid)
    if client is None:
        raise NotFound("No such client.")
    return client


def writable_client(caller: Caller, client_uuid: uuid.UUID) -> Client:
    """The client ``client_uuid`` once the write policy lets the caller change it: the first
    call of every write to an existing client."""
    client = get_client(client_uuid)
    policy.check_can_change(caller, policy.client_holds(client.scope),
                            f"client {client.client_name!r}", client)
    return client


def update_client(caller: Caller, client_uuid: uuid.UUID, changes: dict) -> Client:
    """Edit any of name, redirect URIs, grants, scope, PKCE, keys, display, logout and CORS
    metadata (RFC 7592 semantics, partial)."""
    client = writable_client(caller, client_uuid)
    grant_types = list(dict.fromkeys(changes.get("grant_types", client.grant_types)))
    scope = changes.get("scope", client.scope)
    redirect_uris = list(dict.fromkeys(changes.get("redirect_uris", client.redirect_uris)))
    require_pkce = changes.get("require_pkce", client.require_pkce)
    jwks, jwks_uri = changes.get("jwks", client.jwks), changes.get("jwks_uri", client.jwks_uri)
    _check_scope_ceiling(caller, scope)
    clients.check_registration(grant_types, scope, redirect_uris, client.is_public,
                               require_pkce, client.token_endpoint_auth_method, jwks, jwks_uri)
    client.client_name = changes.get("client_name", client.client_name)
    client.grant_types, client.redirect_uris = grant_types, redirect_uris
    client.require_pkce = require_pkce
    client.jwks, client.jwks_uri = jwks or None, jwks_uri or None
    client.scope = " ".join(dict.fromkeys(scope.split()))
    client.response_types = clients.response_types_for(grant_types)
    for name in clients.DISPLAY_METADATA:
        if name in changes:
            setattr(client, name, changes[name])
    for field, value in clients.logout_and_cors(
            {**{f: getattr(client, f) for f in clients.LOGOUT_AND_CORS}, **changes}).items():
        setattr(client, field, value)
    audit.record("client.updated", caller.actor, client, changed=sorted(changes))
    db.session.commit()
    return client


def rotate_secret(caller: Caller, client_uuid: uuid.UUID) -> tuple[Client, str]:
    """A new secret (shown once); the old one stops working at once."""
    client = writable_client(caller, client_uuid)
    if client.is_public or client.token_endpoint_auth_method == PRIVATE_KEY_JWT:
        raise Conflict("This client authenticates without a secret.")
    secret = clients.set_new_secret(client)
    audit.record("client.secret_rotated", caller.actor, client)
    db.session.commit()
    return client, secret


def delete_client(caller: Caller, client_uuid: uuid.UUID) -> None:
    """Delete a client; its grants and tokens go with it."""
    client = writable_client(caller, client_uuid)
    if client.is_first_party:
        raise Conflict("The console client cannot be deleted.")
    audit.record("client.deleted", caller.actor, client, client_id=client.client_id)
    db.session.delete(client)
    db.session.commit()
