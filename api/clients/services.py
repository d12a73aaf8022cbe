"""Registering clients, whoever asks: the registration rules and the console client.

The tenant REST API's use cases (:mod:`api.v1.clients`) apply the caller's
ceilings on top of these.
"""
from __future__ import annotations

from sqlalchemy import select

from api import audit
from api.clients.models import PUBLIC_AUTH_METHOD, Client
from api.errors import InvalidInput
from api.extensions import db
from api.rbac.permissions import ALL, SCOPES
from api.security import digest, generate_secret

#: Grants that need the client to authenticate, so a public client cannot have them.
CONFIDENTIAL_ONLY_GRANTS = frozenset({"client_credentials", "password"})
CONSOLE_NAME = "Tessera console"


def check_registration(grant_types: list[str], scope: str, redirect_uris: list[str],
                       public: bool, require_pkce: bool = True) -> None:
    """The rules every registration and edit obeys (RFC 7591 §2 metadata consistency)."""
    unknown = [s for s in scope.split() if s not in SCOPES]
    if unknown:
        raise InvalidInput("scope", f"unknown scope {unknown[0]!r}")
    if public and not require_pkce:
        raise InvalidInput("require_pkce", "a public client always uses PKCE (RFC 9700 §2.1.1)")
    if public and CONFIDENTIAL_ONLY_GRANTS & set(grant_types):
        raise InvalidInput("grant_types", "a public client can only use authorization_code "
                                          "and refresh_token")
    if "authorization_code" in grant_types and not redirect_uris:
        raise InvalidInput("redirect_uris", "authorization_code needs at least one redirect URI")
    if grant_types == ["refresh_token"]:
        raise InvalidInput("grant_types", "refresh_token needs a grant that issues one")


def response_types_for(grant_types: list[str]) -> list[str]:
    return ["code"] if "authorization_code" in grant_types else []


def add_client(client_name: str, grant_types: list[str], scope: str,
               redirect_uris: list[str], public: bool, actor: audit.Actor,
               first_party: bool = False, auth_method: str = "client_secret_basic",
               require_pkce: bool = True) -> tuple[Client, str | None]:
    """Register a client in the current tenant's session (the caller commits); returns it
    and its secret (shown once)."""
    grant_types = list(dict.fromkeys(grant_types))
    check_registration(grant_types, scope, redirect_uris, public, require_pkce)
    secret = None if public else generate_secret()
    client = Client(
        client_id=generate_secret(18), client_secret_hash=digest(secret) if secret else None,
        client_name=client_name, redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=grant_types, scope=" ".join(dict.fromkeys(scope.split())),
        response_types=response_types_for(grant_types),
        token_endpoint_auth_method=PUBLIC_AUTH_METHOD if public else auth_method,
        is_first_party=first_party, require_pkce=require_pkce)
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", actor, client, client_id=client.client_id)
    return client, secret


def create_client(client_name: str, grant_types: list[str], scope: str,
                  redirect_uris: list[str], public: bool, actor: audit.Actor,
                  auth_method: str = "client_secret_basic",
                  require_pkce: bool = True) -> tuple[Client, str | None]:
    """Register a client and commit: the whole use case (see :func:`add_client`)."""
    client, secret = add_client(client_name, grant_types, scope, redirect_uris, public, actor,
                                auth_method=auth_method, require_pkce=require_pkce)
    db.session.commit()
    return client, secret


def add_console_client(frontend_url: str, slug: str, actor: audit.Actor) -> Client:
    """The tenant's first-party console client (public, PKCE), added to the session."""
    client, _ = add_client(CONSOLE_NAME, ["authorization_code", "refresh_token"],
                           "openid email offline_access " + " ".join(ALL),
                           [_console_redirect_uri(frontend_url, slug)], public=True,
                           actor=actor, first_party=True)
    return client


def console_client(frontend_url: str, slug: str) -> Client:
    """The tenant's console client, registered on first use and following
    PUBLIC_FRONTEND_URL (``frontend_url``) when it moves; commits."""
    client = db.session.scalar(select(Client).where(Client.is_first_party,
                                                    Client.client_name == CONSOLE_NAME))
    if client is None:
        client = add_console_client(frontend_url, slug, audit.OPERATOR)
    elif client.redirect_uris != [_console_redirect_uri(frontend_url, slug)]:
        client.redirect_uris = [_console_redirect_uri(frontend_url, slug)]
    db.session.commit()
    return client


def _console_redirect_uri(frontend_url: str, slug: str) -> str:
    return f"{frontend_url}/t/{slug}/console/callback"
