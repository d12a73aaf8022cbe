"""Client use cases: registration, edits, secret rotation, deletion, with their policy checks."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.clients.models import PUBLIC_AUTH_METHOD, Client
from api.errors import Conflict, InvalidInput, NotFound
from api.extensions import db
from api.rbac import policy
from api.rbac.caller import Caller
from api.rbac.permissions import ALL, SCOPES
from api.security import digest, generate_secret

#: Grants that need the client to authenticate, so a public client cannot have them.
CONFIDENTIAL_ONLY_GRANTS = frozenset({"client_credentials", "password"})


def _check_registration(grant_types: list[str], scope: str, redirect_uris: list[str],
                        public: bool) -> None:
    unknown = [s for s in scope.split() if s not in SCOPES]
    if unknown:
        raise InvalidInput("scope", f"unknown scope {unknown[0]!r}")
    if public and CONFIDENTIAL_ONLY_GRANTS & set(grant_types):
        raise InvalidInput("grant_types", "a public client can only use authorization_code "
                                          "and refresh_token")
    if "authorization_code" in grant_types and not redirect_uris:
        raise InvalidInput("redirect_uris", "authorization_code needs at least one redirect URI")
    if grant_types == ["refresh_token"]:
        raise InvalidInput("grant_types", "refresh_token needs a grant that issues one")


def _check_scope_ceiling(caller: Caller | None, scope: str) -> None:
    if caller is not None:
        policy.check_can_grant(caller, set(scope.split()) & set(ALL), "a client scope")


def create_client(client_name: str, grant_types: list[str], scope: str,
                  redirect_uris: list[str], public: bool, actor: audit.Actor,
                  first_party: bool = False, caller: Caller | None = None,
                  auth_method: str = "client_secret_basic") -> tuple[Client, str | None]:
    """Register a client in the current tenant; returns it and its secret (shown once)."""
    grant_types = list(dict.fromkeys(grant_types))
    _check_registration(grant_types, scope, redirect_uris, public)
    _check_scope_ceiling(caller, scope)
    secret = None if public else generate_secret()
    client = Client(
        client_id=generate_secret(18), client_secret_hash=digest(secret) if secret else None,
        client_name=client_name, redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=grant_types, scope=" ".join(dict.fromkeys(scope.split())),
        response_types=["code"] if "authorization_code" in grant_types else [],
        token_endpoint_auth_method=PUBLIC_AUTH_METHOD if public else auth_method,
        is_first_party=first_party)
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", actor, client, client_id=client.client_id)
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


def update_client(caller: Caller, client_uuid: uuid.UUID, changes: dict) -> Client:
    """Edit name, redirect URIs, grants or scope (RFC 7592 semantics, partial)."""
    client = get_client(client_uuid)
    grant_types = list(dict.fromkeys(changes.get("grant_types", client.grant_types)))
    scope = changes.get("scope", client.scope)
    redirect_uris = list(dict.fromkeys(changes.get("redirect_uris", client.redirect_uris)))
    _check_registration(grant_types, scope, redirect_uris, client.is_public)
    if "scope" in changes:
        _check_scope_ceiling(caller, scope)
    client.client_name = changes.get("client_name", client.client_name)
    client.grant_types, client.redirect_uris = grant_types, redirect_uris
    client.scope = " ".join(dict.fromkeys(scope.split()))
    client.response_types = ["code"] if "authorization_code" in grant_types else []
    audit.record("client.updated", caller.actor, client, changed=sorted(changes))
    db.session.commit()
    return client


def rotate_secret(caller: Caller, client_uuid: uuid.UUID) -> tuple[Client, str]:
    """A new secret (shown once); the old one stops working at once."""
    client = get_client(client_uuid)
    if client.is_public:
        raise Conflict("A public client has no secret.")
    secret = generate_secret()
    client.client_secret_hash = digest(secret)
    audit.record("client.secret_rotated", caller.actor, client)
    db.session.commit()
    return client, secret


def delete_client(caller: Caller, client_uuid: uuid.UUID) -> None:
    """Delete a client; its grants and tokens go with it."""
    client = get_client(client_uuid)
    if client.is_first_party:
        raise Conflict("The console client cannot be deleted.")
    audit.record("client.deleted", caller.actor, client, client_id=client.client_id)
    db.session.delete(client)
    db.session.commit()


CONSOLE_NAME = "Tessera console"


def console_client(frontend_url: str, slug: str) -> Client:
    """The tenant's first-party console client (public, PKCE), created on first use."""
    redirect_uri = f"{frontend_url}/t/{slug}/console/callback"
    client = db.session.scalar(select(Client).where(Client.is_first_party,
                                                    Client.client_name == CONSOLE_NAME))
    if client is None:
        client, _ = create_client(CONSOLE_NAME, ["authorization_code", "refresh_token"],
                                  "openid email offline_access " + " ".join(ALL),
                                  [redirect_uri], public=True, actor=audit.OPERATOR,
                                  first_party=True)
    elif client.redirect_uris != [redirect_uri]:  # PUBLIC_FRONTEND_URL changed
        client.redirect_uris = [redirect_uri]
        db.session.commit()
    return client
