"""Dynamic client registration (RFC 7591) and its management protocol (RFC 7592).

Off by default: a tenant's ``dynamic_client_registration`` is ``off`` (the
registration endpoint answers 404 and discovery does not list it), ``open``
(anyone may register), or ``initial_access_token`` (the request carries, as a
bearer token, an initial access token an admin created: single- or multi-use,
expiring; :mod:`api.clients.services`).

Authlib parses and checks the metadata (RFC 7591 §2); the tenant's registration
policy (``client_registration_policy``: the grant types and scopes a registered
client may have) is handed to it as the server metadata, so anything beyond it is
``invalid_client_metadata``. On top of that: redirect URIs are https, or http on
a loopback IP for native apps (RFC 8252 §7.3; any port matches when they are
used); public clients always use PKCE (S256, as for every public client); the
rules every registration obeys (:func:`api.clients.services.check_registration`).
Display metadata (``logo_uri``, ``client_uri``, ``policy_uri``, ``tos_uri``) must be
https (http on a loopback IP); the consent page shows them with the client's name, never
as a claim that Tessera vouches for them. The logout and CORS metadata
(``post_logout_redirect_uris``,
``backchannel_logout_uri``, ``backchannel_logout_session_required``,
``allowed_cors_origins``) follow the same URI rules; a back-channel logout URI is
also one the outbound rules let Tessera call (:mod:`api.outbound`).

A registered client gets a registration access token (stored as a digest) for
``{issuer}/register/{client_id}``: read (GET), replace (PUT), delete (DELETE),
RFC 7592 §2. Registered clients are marked ``dynamically_registered``; each
registration, change and deletion is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.consts import default_json_headers
from authlib.oauth2.rfc6750 import InvalidTokenError
from authlib.oauth2.rfc7591 import (ClientMetadataClaims, ClientRegistrationEndpoint,
                                    InvalidClientMetadataError, InvalidRedirectURIError)
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from sqlalchemy import select

from api import audit, outbound
from api.clients import services as clients
from api.clients.models import AUTH_METHODS, LOOPBACK_IPS, PUBLIC_AUTH_METHOD, Client, origin_of
from api.errors import InvalidInput, field_messages
from api.extensions import db
from api.oauth.descriptions import plain
from api.oauth.schemas import ClientMetadataSchema
from api.security import digest, generate_secret
from api.tenancy.context import current_tenant, issuer_url
from api.tenancy.models import DCR_OFF, DCR_OPEN

NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def enabled() -> bool:
    """Whether the current tenant accepts dynamic registrations."""
    return current_tenant().dynamic_client_registration != DCR_OFF


def registration_endpoint() -> str:
    return f"{issuer_url(current_tenant())}/register"


def policy_metadata() -> dict:
    """The tenant's registration policy as the server metadata Authlib checks against."""
    policy = current_tenant().registration_policy
    return {"grant_types_supported": policy["grant_types"],
            "scopes_supported": policy["scope"].split(), "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS)}


def _bearer(request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _check_redirect_uris(uris: list[str]) -> None:
    """https, or http on a loopback IP (RFC 8252 §7.3); never a fragment or a wildcard."""
    for uri in uris:
        if not _https_or_loopback(uri) or "*" in uri:
            raise InvalidRedirectURIError(plain(f"{uri!r}: redirect URIs must use https, or "
                                                "http on 127.0.0.1 or [::1]"))


def _https_or_loopback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    loopback = parts.scheme == "http" and parts.netloc.rsplit(":", 1)[0] in LOOPBACK_IPS
    return bool(parts.scheme == "https" and parts.hostname or loopback)


def _check_outbound(metadata: dict, name: str) -> None:
    if metadata.get(name):
        try:
            outbound.check_url(metadata[name])
        except outbound.OutboundError as error:
            raise InvalidClientMetadataError(plain(f"{name}: {error}")) from error


def _check_web_uris(metadata: dict) -> None:
    """The pages and logo people's browsers open: https, or http on a loopback IP."""
    for name in clients.DISPLAY_METADATA:
        if metadata.get(name) and not _https_or_loopback(metadata[name]):
            raise InvalidClientMetadataError(plain(f"{name}: {metadata[name]!r} must use "
                                                   "https, or http on 127.0.0.1 or [::1]"))


def _check_logout_and_cors(metadata: dict) -> None:
    """Sign-out return URIs and a back-channel URI as redirect URIs are; CORS origins exact."""
    _check_redirect_uris(metadata.get("post_logout_redirect_uris") or [])
    if metadata.get("backchannel_logout_uri"):
        _check_redirect_uris([metadata["backchannel_logout_uri"]])
    for origin in metadata.get("allowed_cors_origins") or []:
        if not _https_or_loopback(origin) or origin_of(origin) != origin:
            raise InvalidClientMetadataError(plain(
                f"allowed_cors_origins: {origin!r} is not an https origin (scheme, host and "
                "a port other than the default, nothing more)"))


def _checked(metadata: dict) -> dict:
    """The registration's values after the rules Authlib's claims do not know."""
    _check_redirect_uris(metadata.get("redirect_uris") or [])
    _check_web_uris(metadata)
    _check_logout_and_cors(metadata)
    _check_outbound(metadata, "jwks_uri")
    _check_outbound(metadata, "backchannel_logout_uri")
    return {"client_name": metadata.get("client_name") or "Unnamed client",
            "grant_types": metadata.get("grant_types") or ["authorization_code"],
            "scope": metadata.get("scope") or current_tenant().registration_policy["scope"],
            "redirect_uris": metadata.get("redirect_uris") or [],
            "auth_method": metadata["token_endpoint_auth_method"],
            "require_pkce": metadata.get("require_pkce", True),
            "jwks": metadata.get("jwks"), "jwks_uri": metadata.get("jwks_uri"),
            "metadata": {**clients.logout_and_cors(metadata),
                         **{name: metadata.get(name) for name in clients.DISPLAY_METADATA}}}


def _metadata_error(error: InvalidInput):
    """A registration rule's refusal as an RFC 7591 §3.2.2 error."""
    field = next(iter(error.errors or {"": None}))
    kind = InvalidRedirectURIError if field == "redirect_uris" else InvalidClientMetadataError
    return kind(plain(error.detail))


def register(metadata: dict, actor: audit.Actor) -> tuple[Client, str | None, str]:
    """Register a client from checked metadata; returns it, its secret and its registration
    access token (both shown once)."""
    values = _checked(metadata)
    try:
        client, secret = clients.add_client(
            values.pop("client_name"), values.pop("grant_types"), values.pop("scope"),
            values.pop("redirect_uris"), public=values["auth_method"] == PUBLIC_AUTH_METHOD,
            actor=actor, dynamically_registered=True, **values)
    except InvalidInput as error:
        raise _metadata_error(error) from None
    token = generate_secret()
    client.registration_access_token_hash = digest(token)
    return client, secret, token


def client_information(client: Client, secret: str | None = None) -> dict:
    """RFC 7591 §3.2.1: the client's identifier, its metadata and, once, its secret."""
    info = {"client_id": client.client_id,
            "client_id_issued_at": int(client.created_at.timestamp()),
            **client.client_metadata}
    if secret:
        info.update(client_secret=secret, client_secret_expires_at=0)
    return info


class TesseraMetadataClaims(ClientMetadataClaims):
    """RFC 7591 §2 metadata, the logout metadata of RP-Initiated and Back-Channel Logout, and
    Tessera's ``require_pkce`` and ``allowed_cors_origins`` (the contract's names)."""

    REGISTERED_CLAIMS = [*ClientMetadataClaims.REGISTERED_CLAIMS, "require_pkce",
                         *clients.LOGOUT_AND_CORS]


class MetadataShape:
    """Both endpoints: the body is a JSON object whose fields have their RFC 7591 types,
    before Authlib reads their meaning."""

    def __init__(self, server=None, claims_classes=None):
        super().__init__(server, claims_classes or [TesseraMetadataClaims])

    def extract_client_metadata(self, request) -> dict:
        data = request.payload.data
        if not isinstance(data, dict):
            raise InvalidClientMetadataError("The body must be a JSON object.")
        errors = field_messages(ClientMetadataSchema().validate(data))
        if errors:
            field, messages = next(iter(errors.items()))
            raise InvalidClientMetadataError(plain(f"{field}: {messages[0]}"))
        return super().extract_client_metadata(request)

    def get_server_metadata(self) -> dict:
        return policy_metadata()


class TenantRegistrationEndpoint(MetadataShape, ClientRegistrationEndpoint):
    """RFC 7591 §3 under the tenant's mode and policy (see the module docstring)."""

    def authenticate_token(self, request) -> audit.Actor | None:
        """Who registers: anyone (open), or the bearer of a usable initial access token."""
        if current_tenant().dynamic_client_registration == DCR_OPEN:
            return audit.Actor.anonymous("dynamic registration")
        token = _bearer(request)
        row = clients.consume_initial_access_token(token) if token else None
        return row and audit.Actor.anonymous(f"initial access token {row.id}")

    def create_registration_response(self, request):
        actor = self.authenticate_token(request)
        if not actor:  # RFC 7591 §3: the initial access token is a bearer token (RFC 6750)
            raise InvalidTokenError("A valid initial access token is required.")
        client, secret, token = register(self.extract_client_metadata(request), actor)
        body = {**client_information(client, secret), "registration_access_token": token,
                "registration_client_uri": f"{registration_endpoint()}/{client.client_id}"}
        return 201, body, default_json_headers + NO_STORE


@dataclass(frozen=True)
class RegistrationAccessToken:
    """A presented registration access token and the client it was issued to."""

    value: str
    client: Client

    def check_client(self, client: Client) -> bool:
        return client.id == self.client.id


class TenantConfigurationEndpoint(MetadataShape, ClientConfigurationEndpoint):
    """RFC 7592 §2 for dynamically registered clients, with their registration token."""

    def authenticate_token(self, request) -> RegistrationAccessToken:
        """RFC 7592 §2: the registration access token, an RFC 6750 bearer token (401)."""
        value = _bearer(request)
        client = value and db.session.scalar(select(Client).where(
            Client.registration_access_token_hash == digest(value)))
        if not client:
            raise InvalidTokenError("A valid registration access token is required.")
        return RegistrationAccessToken(value, client)

    def authenticate_client(self, request) -> Client | None:
        client_id = urlsplit(request.uri).path.rstrip("/").rsplit("/", 1)[-1]
        return db.session.scalar(select(Client).where(Client.client_id == client_id))

    def revoke_access_token(self, request, token: RegistrationAccessToken) -> None:
        token.client.registration_access_token_hash = None

    def check_permission(self, client: Client, request) -> bool:
        return client.dynamically_registered

    def introspect_client(self, client: Client) -> dict:
        return client_information(client)

    def generate_client_registration_info(self, client: Client, request) -> dict:
        return {"registration_client_uri": f"{registration_endpoint()}/{client.client_id}",
                "registration_access_token": request.credential.value}

    def update_client(self, client: Client, client_metadata: dict, request) -> Client:
        """RFC 7592 §2.2: the new metadata replaces the old, under the same rules."""
        values = _checked(client_metadata)
        if values.pop("auth_method") != client.token_endpoint_auth_method:
            raise InvalidClientMetadataError("token_endpoint_auth_method cannot change.")
        try:
            clients.check_registration(values["grant_types"], values["scope"],
                                       values["redirect_uris"], client.is_public,
                                       values["require_pkce"],
                                       client.token_endpoint_auth_method, values["jwks"],
                                       values["jwks_uri"])
        except InvalidInput as error:
            raise _metadata_error(error) from None
        client.client_name, client.grant_types = values["client_name"], values["grant_types"]
        client.scope, client.redirect_uris = values["scope"], values["redirect_uris"]
        client.jwks, client.jwks_uri = values["jwks"], values["jwks_uri"]
        client.require_pkce = values["require_pkce"]
        for name, value in values["metadata"].items():
            setattr(client, name, value)
        client.response_types = clients.response_types_for(client.grant_types)
        audit.record("client.updated", audit.Actor.of_client(client), client,
                     changed=sorted(client_metadata), through="registration")
        return client

    def delete_client(self, client: Client, request) -> None:
        audit.record("client.deleted", audit.Actor.of_client(client), client,
                     client_id=client.client_id, through="registration")
        db.session.delete(client)
