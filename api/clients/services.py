"""Registering clients, whoever asks: the registration rules, the console client, and the
initial access tokens that gate dynamic registration (RFC 7591 §3).

The tenant REST API's use cases (:mod:`api.v1.clients`) apply the caller's
ceilings on top of these.
"""
from __future__ import annotations

from datetime import timedelta

from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import Select, or_, select, update

from api import audit
from api.clients.models import (CLIENT_SECRET_JWT, DISPLAY_METADATA, PRIVATE_KEY_JWT,
                                PUBLIC_AUTH_METHOD, TOKEN_EXCHANGE_GRANT, Client,
                                InitialAccessToken, origin_of)
from api.db import utcnow
from api.errors import InvalidInput, NotFound
from api.extensions import client_secret_sealer, db
from api.rbac.permissions import ALL, SCOPES
from api.resources import services as resources
from api.security import digest, generate_secret

#: Grants that need the client to authenticate, so a public client cannot have them.
CONFIDENTIAL_ONLY_GRANTS = frozenset({"client_credentials", "password", TOKEN_EXCHANGE_GRANT})
CONSOLE_NAME = "Tessera console"
#: Registration metadata beyond the core (RP-Initiated and Back-Channel Logout, CORS), with
#: what a client has when it registers none.
LOGOUT_AND_CORS = {"post_logout_redirect_uris": list, "backchannel_logout_uri": lambda: None,
                   "backchannel_logout_session_required": lambda: False,
                   "allowed_cors_origins": list}


def check_registration(grant_types: list[str], scope: str, redirect_uris: list[str],
                       public: bool, require_pkce: bool = True, auth_method: str | None = None,
                       jwks: dict | None = None, jwks_uri: str | None = None) -> None:
    """The rules every registration and edit obeys (RFC 7591 §2 metadata consistency)."""
    unknown = [s for s in scope.split() if s not in SCOPES]
    if unknown and set(unknown) - resources.accepted_scopes():
        raise InvalidInput("scope", f"unknown scope {unknown[0]!r}")
    if public and not require_pkce:
        raise InvalidInput("require_pkce", "a public client always uses PKCE (RFC 9700 §2.1.1)")
    if public and CONFIDENTIAL_ONLY_GRANTS & set(grant_types):
        raise InvalidInput("grant_types", "a public client cannot use "
                                          + ", ".join(sorted(CONFIDENTIAL_ONLY_GRANTS)))
    if "authorization_code" in grant_types and not redirect_uris:
        raise InvalidInput("redirect_uris", "authorization_code needs at least one redirect URI")
    if grant_types == ["refresh_token"]:
        raise InvalidInput("grant_types", "refresh_token needs a grant that issues one")
    check_keys(auth_method, jwks, jwks_uri)


def check_keys(auth_method: str | None, jwks: dict | None, jwks_uri: str | None) -> None:
    """RFC 7591 §2: ``jwks`` or ``jwks_uri``, never both; private_key_jwt needs one."""
    if jwks and jwks_uri:
        raise InvalidInput("jwks", "give jwks or jwks_uri, not both")
    if auth_method == PRIVATE_KEY_JWT and not (jwks or jwks_uri):
        raise InvalidInput("jwks", "private_key_jwt needs jwks or jwks_uri")
    if jwks:
        try:
            keys = KeySet.import_key_set(jwks)
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidInput("jwks", "is not a JWK Set") from None
        if any(key.is_private for key in keys.keys):
            raise InvalidInput("jwks", "must hold public keys only")


def logout_and_cors(metadata: dict) -> dict:
    """The logout and CORS metadata of a registration, defaults for what it leaves out."""
    return {name: metadata[name] if metadata.get(name) is not None else default()
            for name, default in LOGOUT_AND_CORS.items()}


def response_types_for(grant_types: list[str]) -> list[str]:
    return ["code"] if "authorization_code" in grant_types else []


def add_client(client_name: str, grant_types: list[str], scope: str,
               redirect_uris: list[str], public: bool, actor: audit.Actor,
               first_party: bool = False, auth_method: str = "client_secret_basic",
               require_pkce: bool = True, jwks: dict | None = None, jwks_uri: str | None = None,
               dynamically_registered: bool = False, metadata: dict | None = None
               ) -> tuple[Client, str | None]:
    """Register a client in the current tenant's session (the caller commits); returns it
    and its secret (shown once; private_key_jwt clients have none). ``metadata`` holds the
    optional display fields (:data:`DISPLAY_METADATA`) and logout and CORS fields
    (:data:`LOGOUT_AND_CORS`)."""
    grant_types = list(dict.fromkeys(grant_types))
    auth_method = PUBLIC_AUTH_METHOD if public else auth_method
    check_registration(grant_types, scope, redirect_uris, public, require_pkce, auth_method,
                       jwks, jwks_uri)
    client = Client(
        client_id=generate_secret(18), client_name=client_name,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        grant_types=grant_types, scope=" ".join(dict.fromkeys(scope.split())),
        response_types=response_types_for(grant_types), token_endpoint_auth_method=auth_method,
        is_first_party=first_party, require_pkce=require_pkce, jwks=jwks or None,
        jwks_uri=jwks_uri or None, dynamically_registered=dynamically_registered,
        **logout_and_cors(metadata or {}),
        **{name: (metadata or {}).get(name) for name in DISPLAY_METADATA})
    secret = set_new_secret(client)
    db.session.add(client)
    db.session.flush()
    audit.record("client.created", actor, client, client_id=client.client_id,
                 dynamically_registered=dynamically_registered)
    return client, secret


def set_new_secret(client: Client) -> str | None:
    """Give the client a new secret, if its authentication method uses one; returns it."""
    if client.token_endpoint_auth_method in (PUBLIC_AUTH_METHOD, PRIVATE_KEY_JWT):
        client.client_secret_hash = client.client_secret_sealed = None
        return None
    secret = generate_secret()
    client.client_secret_hash = digest(secret)
    client.client_secret_sealed = (client_secret_sealer.seal(secret.encode())
                                   if client.token_endpoint_auth_method == CLIENT_SECRET_JWT
                                   else None)
    return secret


def create_client(client_name: str, grant_types: list[str], scope: str,
                  redirect_uris: list[str], public: bool, actor: audit.Actor,
                  auth_method: str = "client_secret_basic", require_pkce: bool = True,
                  jwks: dict | None = None, jwks_uri: str | None = None,
                  metadata: dict | None = None) -> tuple[Client, str | None]:
    """Register a client and commit: the whole use case (see :func:`add_client`)."""
    client, secret = add_client(client_name, grant_types, scope, redirect_uris, public, actor,
                                auth_method=auth_method, require_pkce=require_pkce, jwks=jwks,
                                jwks_uri=jwks_uri, metadata=metadata)
    db.session.commit()
    return client, secret


def add_console_client(frontend_url: str, slug: str, actor: audit.Actor) -> Client:
    """The tenant's first-party console client (public, PKCE), added to the session."""
    uris = _console_uris(frontend_url, slug)
    client, _ = add_client(CONSOLE_NAME, ["authorization_code", "refresh_token"],
                           "openid email offline_access " + " ".join(ALL),
                           uris["redirect_uris"], public=True, actor=actor, first_party=True,
                           metadata=uris)
    return client


def console_client(frontend_url: str, slug: str) -> Client:
    """The tenant's console client, registered on first use and following
    PUBLIC_FRONTEND_URL (``frontend_url``) when it moves; commits."""
    client = db.session.scalar(select(Client).where(Client.is_first_party,
                                                    Client.client_name == CONSOLE_NAME))
    if client is None:
        client = add_console_client(frontend_url, slug, audit.OPERATOR)
    for field, uris in _console_uris(frontend_url, slug).items():
        if getattr(client, field) != uris:
            setattr(client, field, uris)
    db.session.commit()
    return client


def consume_initial_access_token(token: str) -> InitialAccessToken | None:
    """Count one registration against an initial access token (RFC 7591 §3); None when the
    token is unknown, expired or used up. Atomic: parallel registrations cannot overdraw."""
    row = db.session.scalar(select(InitialAccessToken)
                            .where(InitialAccessToken.token_hash == digest(token)))
    if row is None:
        return None
    consumed = db.session.execute(
        update(InitialAccessToken)
        .where(InitialAccessToken.id == row.id, InitialAccessToken.expires_at > utcnow(),
               or_(InitialAccessToken.max_uses.is_(None),
                   InitialAccessToken.uses < InitialAccessToken.max_uses))
        .values(uses=InitialAccessToken.uses + 1)
        .execution_options(synchronize_session=False)).rowcount
    return row if consumed == 1 else None


def create_initial_access_token(description: str, max_uses: int | None, lifetime: int,
                                actor: audit.Actor) -> tuple[InitialAccessToken, str]:
    """A new initial access token (shown once, stored as a digest); commits."""
    token = generate_secret()
    row = InitialAccessToken(token_hash=digest(token), description=description,
                             max_uses=max_uses,
                             expires_at=utcnow() + timedelta(seconds=lifetime))
    db.session.add(row)
    db.session.flush()
    audit.record("initial_token.created", actor, row, max_uses=max_uses,
                 expires_at=row.expires_at.isoformat())
    db.session.commit()
    return row, token


def list_initial_access_tokens() -> Select:
    return select(InitialAccessToken).order_by(InitialAccessToken.created_at.desc())


def revoke_initial_access_token(token_id, actor: audit.Actor) -> None:
    """Delete an initial access token; clients it registered stay."""
    row = db.session.get(InitialAccessToken, token_id)
    if row is None:
        raise NotFound("No such initial access token.")
    audit.record("initial_token.revoked", actor, row)
    db.session.delete(row)
    db.session.commit()


def _console_uris(frontend_url: str, slug: str) -> dict[str, list[str]]:
    """Where the console's sign-in and sign-out come back to."""
    return {"redirect_uris": [f"{frontend_url}/t/{slug}/console/callback"],
            "post_logout_redirect_uris": [f"{frontend_url}/t/{slug}/console/signed-out"]}


def cors_origins() -> set[str]:
    """The origins whose scripts may call the tenant's API (CORS): those of its public
    clients' redirect URIs and every client's ``allowed_cors_origins``."""
    origins: set[str] = set()
    for method, redirect_uris, allowed in db.session.execute(select(
            Client.token_endpoint_auth_method, Client.redirect_uris,
            Client.allowed_cors_origins)):
        origins.update(allowed)
        if method == PUBLIC_AUTH_METHOD:
            origins.update(origin_of(uri) for uri in redirect_uris)
    return origins
