"""Client use cases: registration with its policy checks."""
from __future__ import annotations

from api import audit
from api.clients.models import PUBLIC_AUTH_METHOD, Client
from api.errors import InvalidInput
from api.extensions import db
from api.rbac.permissions import SCOPES
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
    if "refresh_token" in grant_types and grant_types == ["refresh_token"]:
        raise InvalidInput("grant_types", "refresh_token needs a grant that issues one")


def create_client(client_name: str, grant_types: list[str], scope: str,
                  redirect_uris: list[str], public: bool, actor: audit.Actor,
                  first_party: bool = False) -> tuple[Client, str | None]:
    """Register a client in the current tenant; returns it and its secret (shown once)."""
    grant_types = list(dict.fromkeys(grant_types))
    _check_registration(grant_types, scope, redirect_uris, public)
    secret = None if public else generate_secret()
    client = Client(
        client_id=generate_secret(18), client_secret_hash=digest(secret) if secret else None,
        client_name=client_name, redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=grant_types, scope=" ".join(dict.fromkeys(scope.split())),
        response_types=["code"] if "authorization_code" in grant_types else [],
        token_endpoint_auth_method=PUBLIC_AUTH_METHOD if public else "client_secret_basic",
        is_first_party=first_party)
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", actor, client, client_id=client.client_id)
    db.session.commit()
    return client, secret
