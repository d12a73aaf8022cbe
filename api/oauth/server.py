"""Authlib wiring: the tenant-aware authorization server, its grants, endpoints and guard.

Authlib does the protocol; this module supplies only the glue it asks for:
where clients, codes and tokens live (always in the request's tenant scope),
how tokens are signed (the tenant's active key), and Tessera's policies
(S256-only PKCE for every client but legacy ones that opted out, request objects
and unknown response modes refused, form_post responses handed to the frontend,
single-use codes with replay revocation, refresh rotation with reuse detection,
scope narrowed to what the client and the user may have and to the resource the
token is for, introspection for a token's own client and resource servers only,
client authentication failures as one 401 whether or not the client exists, ID
tokens naming their sign-in session). RP-Initiated Logout is in :mod:`.logout`; what the
introspection endpoint reads, its client with the token in one statement, in
:mod:`.introspection`.
The device grant, token exchange, JWT client authentication and dynamic
registration live in modules of their own (:mod:`.device`, :mod:`.exchange`,
:mod:`.client_auth`, :mod:`.registration`) and are registered in
:func:`build_server`.

Access tokens name their resource in ``aud`` (:mod:`.targets`). ``sub`` is the
user's id; for a token a client obtained for itself (client_credentials) it is the
client's id as the REST API shows it (``/clients/{id}``), its service account, while
the ``client_id`` claim names the OAuth client in every token.
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import (AuthorizationServer, ResourceProtector,
                                               token_authenticated)
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (InvalidClientError, InvalidGrantError,
                                           InvalidRequestError, InvalidScopeError)
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from authlib.oidc.core import UserInfo
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from authlib.oidc.core.grants import OpenIDCode
from authlib.oidc.core.grants.util import validate_form_post_redirect_uri
from flask import abort, current_app, g, request
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from api import audit
from api.clients import lookup as clients
from api.clients.models import AUTH_METHODS, CONFIDENTIAL_AUTH_METHODS, Client
from api.db import utcnow, uuid7
from api.errors import problem
from api.extensions import db
from api.keys import services as keys
from api.mfa import factors
from api.mfa import policy as mfa_policy
from api.oauth import (acr, bearer, challenges, device, exchange, form_post, introspection,
                       logout, refresh, registration, targets, tokens)
from api.oauth.client_auth import ClientSecretJWT, PrivateKeyJWT
from api.oauth.descriptions import plain
from api.oauth.models import AuthorizationCode, Grant, SignInSession, Token
from api.rbac.permissions import SCOPES, TOKENS_INTROSPECT, narrow_scope
from api.resources import services as resources
from api.security import digest, generate_secret
from api.tenancy.context import current_tenant, issuer_url
from api.users import authentication
from api.users.models import User, load_with_permissions

#: The OIDC standard claims of the ``profile`` scope that Tessera keeps.
PROFILE_CLAIMS = ("name", "given_name", "family_name")
#: RFC 6749 §4.1.2 recommends at most 10 minutes.
CODE_LIFETIME = timedelta(minutes=10)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CONFIDENTIAL_AUTH = list(CONFIDENTIAL_AUTH_METHODS)
ANY_CLIENT_AUTH = list(AUTH_METHODS)
log = logging.getLogger(__name__)


class TenantTokenGenerator(JWTBearerTokenGenerator):
    """RFC 9068 access tokens signed with the current tenant's active key."""

    def __init__(self):
        tenant = current_tenant()
        self.kid, alg, self.key = keys.active_key(tenant.id)
        super().__init__(issuer=issuer_url(tenant), alg=alg,
                         refresh_token_generator=lambda **kwargs: generate_secret(32),
                         expires_generator=lambda client, grant_type:
                         tenant.access_token_lifetime)

    def get_jwks(self) -> KeySet:
        return KeySet([self.key])  # a key set makes joserfc put the kid in the header

    def get_jti(self, client, grant_type, user, scope) -> str:
        """A time-ordered ``jti``: a UUIDv7's 32 hex digits (milliseconds, then 74 random
        bits), so the tokens' unique ``jti`` index takes each new token on its last pages
        rather than on a random one of a large table (:func:`api.db.uuid7`). The ``jti``
        names the token, it is no secret: the signature covers it."""
        return uuid7().hex

    def get_extra_claims(self, client, grant_type, user, scope) -> dict:
        """``aud`` the resource (RFC 9068 §3, RFC 8707); ``sub`` and ``act`` (see above)."""
        target, exchanged = targets.bound()
        claims = {"tid": str(current_tenant().id), "aud": target.identifier}
        if user is None:
            claims["sub"] = str(client.id)
        if exchanged:
            claims.update(sub=exchanged["subject"], act=exchanged["act"])
        return claims

    def generate(self, grant_type, client, user=None, scope=None, expires_in=None,
                 include_refresh_token=True):
        """Narrow the scope to what the client may have, then to the user's permissions
        (contract: RBAC) and to what the token's resource accepts; ``invalid_scope`` when
        nothing asked for is left (RFC 6749 §5.2)."""
        target, _ = targets.bound()
        scope = narrow_user_scope(self.get_allowed_scope(client, scope), user)
        accepted = target.narrow(scope)
        if scope and not accepted:
            raise InvalidScopeError(plain(f"None of the requested scopes is accepted by "
                                          f"{target.identifier}."))
        scope = accepted
        return super().generate(grant_type, client, user, scope, expires_in,
                                include_refresh_token)


def narrow_user_scope(scope: str, user: User | None, redirect_uri: str | None = None) -> str:
    """``scope`` narrowed to the user's permissions; InvalidScopeError when that leaves
    nothing of a non-empty scope (an empty scope would mean "the default" later on)."""
    narrowed = narrow_scope(scope, user.permissions if user else None)
    if scope and not narrowed:
        raise InvalidScopeError("None of the requested scopes is granted to this user.",
                                redirect_uri=redirect_uri)
    return narrowed


def generate_token(**kwargs) -> dict:
    return TenantTokenGenerator().generate(**kwargs)


class TenantAuthorizationServer(AuthorizationServer):
    """Authlib's Flask server, answering for whichever tenant the request is under."""

    def load_config(self, config) -> None:
        """Nothing in Flask config: tokens and scopes are Tessera's (see build_server)."""

    def query_client(self, client_id: str) -> Client | None:
        """The tenant's client; at the token endpoint, read with the key that signs (and with
        the refresh token that a refresh presents); at the introspection endpoint, with the
        token it is asked about (:mod:`.introspection`)."""
        tenant_id = current_tenant().id
        if request.endpoint == INTROSPECTION_ENDPOINT:
            return introspection.find_client(current_tenant(), client_id)
        if request.endpoint != TOKEN_ENDPOINT:
            return clients.find(tenant_id, client_id)
        refresh_digest = refresh.presented(request.form)
        if refresh_digest is None:
            client, signing_key = clients.find_with(TOKEN_CLIENT, tenant_id, client_id,
                                                    now=utcnow())
        else:
            client, signing_key = clients.find_with(REFRESH_CLIENT, tenant_id, client_id,
                                                    now=utcnow(), digest=refresh_digest)
            if client is not None:
                refresh.remember(tenant_id, refresh_digest, signing_key[2:])
        if client is not None:
            keys.remember_active(tenant_id, *signing_key[:2])
        return client

    def save_token(self, token: dict, oauth_request) -> None:
        tokens.record_issued(token, oauth_request, current_tenant())

    def validate_requested_scope(self, scope) -> None:
        """Tessera's scopes and those the tenant's resources accept (RFC 6749 §3.3)."""
        unknown = set((scope or "").split()) - set(SCOPES)
        if unknown and unknown - resources.accepted_scopes():  # no query for Tessera's own
            raise InvalidScopeError()

    def authenticate_client(self, oauth_request, methods, endpoint="token"):
        """RFC 6749 §2.3, §5.2: every failure is the same 401 with a ``Basic`` challenge
        (the HTTP scheme clients may use, RFC 7617 with its realm), whether the client is
        unknown, its secret wrong, or its method not the one it registered."""
        try:
            return super().authenticate_client(oauth_request, methods, endpoint)
        except InvalidClientError as error:
            log.info("client authentication failed at %s: %s", endpoint, error.description)
            raise ClientAuthenticationFailed(issuer_url(current_tenant())) from None

    def handle_response(self, status_code, payload, headers):
        response = super().handle_response(status_code, payload, headers)
        if request.endpoint == AUTHORIZE_ENDPOINT and status_code == 302:
            # an authorization response, with iss (RFC 9207 §2)
            response.headers["Location"] = self._deliver(add_params_to_uri(
                response.headers["Location"], {"iss": issuer_url(current_tenant())}))
        elif request.endpoint in NO_STORE_ENDPOINTS:
            response.headers.update(NO_STORE)
        return response

    def _deliver(self, location: str) -> str:
        """Where the browser goes with the response: to the client (``query``), or to the
        frontend's page that posts it there (``form_post``, see :mod:`api.oauth.form_post`)."""
        if request.args.get("response_mode") != form_post.FORM_POST:
            return location
        redirect_uri = (request.args.get("redirect_uri") or self.query_client(
            request.args["client_id"]).get_default_redirect_uri())
        return form_post.park(redirect_uri, location, current_app.config["PUBLIC_FRONTEND_URL"],
                              current_tenant().slug)


TOKEN_ENDPOINT = "tenant.oauth.issue_token"
#: The token endpoint's client lookup, with the tenant's signing key (one round trip).
TOKEN_CLIENT = clients.lookup_with("tessera_token_client", keys.ACTIVE)
#: ... and for a refresh with the refresh token presented (:mod:`.refresh`), too.
REFRESH_CLIENT = clients.lookup_with(
    "tessera_refresh_client", keys.ACTIVE, refresh.LOOKUP.statement,
    portable=(keys.ACTIVE, refresh.LOOKUP.portable))
INTROSPECTION_ENDPOINT = "tenant.oauth.introspect_token"
NO_STORE_ENDPOINTS = {TOKEN_ENDPOINT, "tenant.oauth.revoke_token", INTROSPECTION_ENDPOINT,
                      "tenant.oauth.authorize_device", "tenant.oauth.register_client",
                      "tenant.oauth.manage_registration"}
AUTHORIZE_ENDPOINT = "tenant.oauth.authorize"


class ClientAuthenticationFailed(InvalidClientError):
    """``invalid_client`` as RFC 6749 §5.2 and RFC 7617 §2 want it: 401, a challenge with
    a realm, and a description that does not tell whether the client exists."""

    status_code = 401
    description = ("Client authentication failed: the client is unknown, its credentials "
                   "are wrong, or it used an authentication method it is not registered for.")

    def __init__(self, realm: str):
        super().__init__()
        self.realm = realm

    def get_headers(self):
        headers = [(name, value) for name, value in super().get_headers()
                   if name != "WWW-Authenticate"]
        headers.append(("WWW-Authenticate", f'Basic realm="{self.realm}", '
                        f'error="{self.error}", error_description="{self.description}"'))
        return headers


class S256CodeChallenge(CodeChallenge):
    """PKCE (RFC 7636) with S256 only, required of every client (OAuth 2.1, RFC 9700 §2.1.1)
    but the legacy confidential clients registered with ``require_pkce`` off."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        payload = grant.request.payload.data
        if payload.get("code_challenge") and payload.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        if grant.request.client.pkce_required and not payload.get("code_challenge"):
            raise InvalidRequestError("This client must send a PKCE code_challenge (S256)")
        super().validate_code_challenge(grant, redirect_uri)


class RequestParameters:
    """Authorization request parameters Tessera does not support are refused, not ignored:
    request objects (``request``, ``request_uri``: OIDC Core §6, RFC 9101) and response
    modes other than ``query`` and ``form_post`` (OAuth 2.0 Multiple Response Types §2.1)."""

    RESPONSE_MODES = ("query", form_post.FORM_POST)

    def __call__(self, grant) -> None:
        grant.register_hook("after_validate_authorization_request_payload", self.validate)

    def validate(self, grant, result) -> None:
        """An ``after_`` hook: Authlib passes the validation's result, not the redirect URI."""
        payload = grant.request.payload
        if "request" in payload.data:
            raise RequestNotSupportedError("Request objects are not supported.")
        if "request_uri" in payload.data:
            raise RequestURINotSupportedError("Request objects are not supported.")
        if payload.data.get("response_mode", "query") not in self.RESPONSE_MODES:
            raise InvalidRequestError("response_mode must be query or form_post.")
        validate_form_post_redirect_uri(
            grant, payload.redirect_uri or grant.request.client.get_default_redirect_uri())


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    """RFC 6749 §4.1 with single-use codes; a replayed code revokes what it issued."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT_AUTH
    DEFAULT_RESPONSE_MODE = "query"

    def create_authorization_response(self, redirect_uri: str, grant_user):
        """RFC 6749 §4.1.2; ``invalid_scope`` to the client when the user holds none of the
        permissions asked for (§4.1.2.1)."""
        if grant_user is not None:
            self.request.scope = narrow_user_scope(self.request.scope, grant_user,
                                                   redirect_uri)
        return super().create_authorization_response(redirect_uri, grant_user)

    def validate_authorization_request(self):
        """RFC 8707 §2: an unknown ``resource`` is ``invalid_target``; OIDC Core §3.1.2.1: a
        malformed ``max_age`` or ``claims`` is ``invalid_request``, an essential ``acr``
        none of whose values Tessera knows ``unmet_authentication_requirements``; all sent
        to the client. Keeps ``max_age`` and the ``acr`` requirement for the endpoint."""
        redirect_uri = super().validate_authorization_request()
        payload = self.request.payload.data
        try:
            targets.from_request(self.request)
            self.max_age = challenges.max_age_of(payload)
            self.acr_requirement = acr.requested(payload)
        except OAuth2Error as error:
            error.redirect_uri, error.redirect_fragment = redirect_uri, False
            error.state = self.request.payload.state
            raise
        return redirect_uri

    def save_authorization_code(self, code: str, oauth_request) -> AuthorizationCode:
        """The code remembers the sign-in it was issued in: its session (``sid``), when
        (``auth_time``) and how (``amr``) its user authenticated, for the ID token."""
        payload = oauth_request.payload.data
        signed_in = db.session.get(SignInSession, g.sign_in_session_id)
        row = AuthorizationCode(
            code_hash=digest(code), client_id=oauth_request.client.id,
            user_id=oauth_request.user.id, redirect_uri=oauth_request.payload.redirect_uri,
            scope=oauth_request.scope or "",
            nonce=payload.get("nonce"), code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
            auth_time=signed_in.auth_time, amr=list(signed_in.amr),
            expires_at=utcnow() + CODE_LIFETIME,
            resource=targets.from_request(oauth_request).stored, session_id=signed_in.id)
        db.session.add(row)
        return row

    def validate_token_request(self) -> None:
        """The token is for the resource the code was issued for (RFC 8707 §2.2)."""
        super().validate_token_request()
        code = self.request.authorization_code
        targets.bind(_same_target(self.request, code.resource))

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        row = db.session.scalar(select(AuthorizationCode)
                                .where(AuthorizationCode.code_hash == digest(code)))
        if row is None or row.client_id != client.id:
            return None
        claimed = db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount == 1
        db.session.refresh(row)
        if not claimed:
            self._revoke_replayed(row, client)
            return None
        return None if row.is_expired() else row

    def _revoke_replayed(self, row: AuthorizationCode, client: Client) -> None:
        """RFC 6749 §4.1.2: a replayed code revokes what it issued (the endpoint commits)."""
        actor = audit.Actor.of_client(client)
        audit.record("code.replayed", actor, row, outcome=audit.DENIED)
        grant = row.grant_id and db.session.get(Grant, row.grant_id)
        if grant:
            tokens.revoke_grant(grant, actor, "authorization code replayed")

    def delete_authorization_code(self, authorization_code) -> None:
        """Codes are kept, marked used, so that a replay can be recognised."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        user = load_with_permissions(authorization_code.user_id)
        return user if user is not None and user.can_sign_in else None


def _same_target(oauth_request, stored: str | None) -> targets.Target:
    """The target a code or refresh token was issued for; a ``resource`` parameter may
    only repeat it."""
    target = targets.lookup(stored)
    requested = oauth_request.payload.datalist.get("resource")
    if requested and targets.resolve(requested) != target:
        raise targets.InvalidTargetError("The grant was issued for another resource.")
    return target


class TenantOpenIDCode(OpenIDCode):
    """ID tokens (OIDC Core §2, §3.1.3.6) signed with the tenant's key: ``aud`` and ``azp``
    the client; ``auth_time``, ``amr`` (RFC 8176) and ``acr`` (:mod:`.acr`) of the sign-in
    the code was issued in, always; and ``sid`` its session (Back-Channel Logout §2.1)."""

    def exists_nonce(self, nonce: str, oauth_request) -> bool:
        return db.session.scalar(select(AuthorizationCode.id).where(
            AuthorizationCode.nonce == nonce,
            AuthorizationCode.client_id == oauth_request.client.id).limit(1)) is not None

    def resolve_client_private_key(self, client):
        return KeySet([keys.active_key(current_tenant().id)[2]])

    def get_client_algorithm(self, client) -> str:
        return keys.active_key(current_tenant().id)[1]

    def get_client_claims(self, client) -> dict:
        tenant = current_tenant()
        return {"iss": issuer_url(tenant), "aud": [client.client_id], "azp": client.client_id,
                "exp": int(time.time()) + tenant.access_token_lifetime}

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> dict:
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.session_id:
            claims["sid"] = str(authorization_code.session_id)
        return claims

    def get_encode_header(self, client) -> dict:
        kid, alg, _ = keys.active_key(current_tenant().id)
        return {"alg": alg, "kid": kid, "typ": "JWT"}

    def generate_user_info(self, user: User, scope: str) -> UserInfo:
        return user_info(user, scope)


def user_info(user: User, scope: str) -> UserInfo:
    """The claims a token with ``scope`` may see about ``user`` (OIDC Core §5.1, §5.4).

    ``profile`` gives the names the user has (an empty one is left out, §5.3.2)
    and ``updated_at``; ``email`` gives the address and whether it is verified.
    """
    tenant = current_tenant()
    scopes = scope.split()
    info = UserInfo(sub=str(user.id), tid=str(tenant.id), tenant=tenant.slug)
    if "profile" in scopes:
        info.update({claim: getattr(user, claim) for claim in PROFILE_CLAIMS
                     if getattr(user, claim)})
        info["updated_at"] = int(user.profile_updated_at.timestamp())
    if "email" in scopes:
        info["email"] = user.email
        info["email_verified"] = user.email_verified
    return info


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """RFC 6749 §6 with rotation; presenting a used refresh token revokes the grant. The
    token, its grant and its user are read in one query (:mod:`.refresh`)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> refresh.RefreshToken | None:
        token = refresh.find(current_tenant().id, refresh_token)
        if token is None or not token.check_client(self.request.client):
            return None
        if token.used:
            self._revoke_reused(token)
            return None
        if not token.usable:
            return None
        targets.bind(_same_target(self.request, token.resource), token.exchange)
        return token

    def save_token(self, token: dict) -> None:
        """Claim the refresh token as its successor is recorded, in one statement
        (:func:`.tokens.record_rotation`): of parallel uses exactly one wins, and the others
        are reuses; a request refused before it (scope, user) leaves the token unused."""
        if not tokens.record_rotation(token, self.request, current_tenant()):
            self._revoke_reused(self.request.refresh_token)
            raise InvalidGrantError()

    def _revoke_reused(self, token: refresh.RefreshToken) -> None:
        """RFC 9700 §4.14: reuse revokes the whole family (the endpoint commits)."""
        actor = audit.Actor.of_client(self.request.client)
        grant = db.session.get(Grant, token.grant_id)
        audit.record("refresh_token.reused", actor, grant, outcome=audit.DENIED)
        tokens.revoke_grant(grant, actor, "refresh token reused")

    def authenticate_user(self, refresh_token: refresh.RefreshToken):
        """The grant's user while they may sign in. The console's grants (first-party
        clients) end once the tenant's policy asks the user for a second factor their
        sign-in did not have: the console signs in again, second factor included."""
        user = refresh_token.user
        if user is None:
            return None
        if self.request.client.is_first_party and mfa_policy.required_of(
                current_tenant(), load_with_permissions(user.id)):
            signed_in = db.session.get(SignInSession, refresh_token.session_id) \
                if refresh_token.session_id else None
            if acr.acr_for(signed_in.amr if signed_in else ()) != acr.MFA:
                raise InvalidGrantError("A second factor is now required; sign in again.")
        return user

    def revoke_old_credential(self, refresh_token) -> None:
        """The old refresh token was marked used when its successor was saved."""


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """RFC 6749 §4.4: the client acts as its own service account, for the ``resource`` it
    names (RFC 8707)."""

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_token_request(self) -> None:
        super().validate_token_request()
        targets.bind(targets.from_request(self.request))

    def save_token(self, token: dict) -> None:
        """The issuance is all the grant writes: it commits by itself (:mod:`.tokens`)."""
        tokens.record_issued(token, self.request, current_tenant(), alone=True)


class PasswordGrant(grants.ResourceOwnerPasswordCredentialsGrant):
    """RFC 6749 §4.3, only for clients registered for it; throttled like every sign-in."""

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_token_request(self) -> None:
        super().validate_token_request()
        targets.bind(targets.from_request(self.request))

    def authenticate_user(self, username: str, password: str) -> User | None:
        """The user, unless they have or must have a second factor: the grant has no room
        for one, so it would be a way around it."""
        try:
            tenant = current_tenant()
            user = authentication.authenticate(tenant.id, username, password,
                                               request.remote_addr, tenant.require_verified_email)
        except authentication.EmailNotVerified:
            raise InvalidGrantError("The user's email address is not verified.")
        except authentication.SignInThrottled:
            raise InvalidGrantError("Too many failed sign-in attempts; try again later.")
        except authentication.InvalidCredentials:  # RFC 6749 §5.2: credentials are the grant
            raise InvalidGrantError("The username or password is incorrect.")
        if factors.enrolled(user) or mfa_policy.required_of(tenant, user):
            actor = audit.Actor.of_user(user)
            db.session.rollback()  # not signed in after all
            audit.record_now("sign_in.refused", actor, outcome=audit.FAILURE,
                             reason="second factor required")
            raise InvalidGrantError("This user signs in with a second factor, which the "
                                    "password grant cannot ask for; use the authorization "
                                    "code flow.")
        return user


class TokenLookup:
    """Finds a presented token string, remembering which kind it turned out to be."""

    def query_token(self, token_string: str, token_type_hint: str | None):
        tenant = current_tenant()
        if token_type_hint != "refresh_token":
            token = tokens.find_access_token(token_string, tenant, issuer_url(tenant))
            if token is not None:
                token.presented_as = "access_token"
                return token
        return self.query_refresh_token(token_string)

    def query_refresh_token(self, token_string: str) -> Token | None:
        token = tokens.find_refresh_token(token_string)
        if token is not None:
            token.presented_as = "refresh_token"
        return token


class TenantRevocationEndpoint(TokenLookup, RevocationEndpoint):
    """RFC 7009. A refresh token revokes its whole grant; an access token only itself."""

    CLIENT_AUTH_METHODS = ANY_CLIENT_AUTH

    def revoke_token(self, token, oauth_request) -> None:
        actor = audit.Actor.of_client(oauth_request.client)
        if token.presented_as == "refresh_token":
            tokens.revoke_grant(token.grant, actor, "revoked by client")
        else:
            tokens.revoke_access_token(token, actor)


class UnlocatedRequest(FlaskOAuth2Request):
    """Authlib's request for an endpoint that never reads the request's URL (introspection):
    Authlib's would rebuild it for every request (werkzeug's ``request.url``, an IRI of
    scheme, host, path and query) for the transport check alone, which reads its scheme and
    host (``InsecureTransportError``): this one gives it those two and nothing else."""

    def __init__(self, flask_request):
        OAuth2Request.__init__(self, flask_request.method,
                               f"{flask_request.scheme}://{flask_request.host}/",
                               headers=flask_request.headers)
        self._request = flask_request
        self.payload = FlaskOAuth2Payload(flask_request)


class TenantIntrospectionEndpoint(TokenLookup, IntrospectionEndpoint):
    """RFC 7662, for authenticated confidential clients of the same tenant. An access token
    is checked as the REST API checks a bearer token (:mod:`api.oauth.bearer`, for any
    audience), and its ``sub``, ``aud`` and ``act`` are those of its claims."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def create_endpoint_request(self, _) -> OAuth2Request:
        return UnlocatedRequest(request)

    def query_token(self, token_string: str, token_type_hint: str | None):
        if token_type_hint != "refresh_token":
            found = introspection.access_token(token_string, current_tenant())
            if found is not None:
                return found
        return self.query_refresh_token(token_string)

    def check_permission(self, token, client, oauth_request) -> bool:
        """RFC 7662 §4: a token's own client, or a resource server of the tenant (a client
        registered with ``tokens:introspect``); anyone else learns ``active: false``."""
        return token.check_client(client) or TOKENS_INTROSPECT in client.scopes

    def create_introspection_payload(self, token):
        if isinstance(token, Token):
            return self.introspect_token(token) if token.refresh_usable() else {"active": False}
        return super().create_introspection_payload(token)

    def introspect_token(self, token) -> dict:
        if isinstance(token, bearer.Bearer):
            return token.introspection()
        grant = token.grant
        client = grant.client
        user = load_with_permissions(grant.user_id) if grant.user_id else None
        payload = {
            "active": True, "scope": token.scope, "client_id": client.client_id,
            "username": user.email if user else None, "token_type": "refresh_token",
            "exp": int(token.refresh_expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "sub": str(user.id) if user else str(client.id),
            "aud": targets.audience_of(grant.resource),
            "iss": issuer_url(current_tenant()), "jti": token.jti,
            "tid": str(current_tenant().id),
        }
        if grant.exchange:
            payload.update(sub=grant.exchange["subject"], act=grant.exchange["act"])
        return payload


class TenantBearerTokenValidator(BearerTokenValidator):
    """RFC 6750 bearer tokens: this tenant's, unexpired, unrevoked JWT access tokens, for
    the tenant REST API (``aud``, RFC 9068 §4): a :class:`~api.oauth.bearer.Bearer`."""

    def authenticate_token(self, token_string: str):
        tenant = current_tenant()
        return bearer.authenticate(token_string, tenant, issuer_url(tenant),
                                   targets.api_identifier())


class UserinfoTokenValidator(BearerTokenValidator):
    """Userinfo's bearer tokens: the tenant's access tokens for any audience (the
    authorization server answers for every token of its tenant), as their token rows."""

    def authenticate_token(self, token_string: str):
        tenant = current_tenant()
        return tokens.find_access_token(token_string, tenant, issuer_url(tenant))


def protected_resource_metadata_url() -> str:
    """RFC 9728 §3: where the tenant REST API describes itself."""
    return f"{issuer_url(current_tenant())}/.well-known/oauth-protected-resource"


class TenantResourceProtector(ResourceProtector):
    """RFC 6750 §3 errors: a ``WWW-Authenticate: Bearer`` challenge naming the RFC 9728
    metadata (``resource_metadata``, §5.1), and a problem document whose ``error`` member
    carries the RFC 6750 error code.

    The token comes in the ``Authorization`` header (§2.1) or, where ``form_body`` allows
    it, as ``access_token`` in a form-encoded POST body (§2.2); never in the query (§2.3).
    """

    def __init__(self, form_body: bool = False):
        super().__init__()
        self.form_body = form_body

    def acquire_token(self, scopes=None, **kwargs):
        """Authlib's, given Flask's request itself: its JSON request wrapper would rebuild the
        URL of every request, which neither the header's parsing nor the validators read."""
        claims = {name: [value] if isinstance(value, str) else value
                  for name, value in {**kwargs, "scopes": scopes}.items()}
        token = self.validate_request(request=request, **claims)
        token_authenticated.send(self, token=token)
        g.authlib_server_oauth2_token = token
        return token

    def parse_request_authorization(self, oauth_request):
        token = _form_body_token() if self.form_body else None
        if token is None:
            return super().parse_request_authorization(oauth_request)
        if "Authorization" in request.headers:  # §2: one method per request
            raise InvalidRequestError("Send the access token in one way only.")
        return self.get_token_validator("bearer"), token

    def raise_error_response(self, error):
        challenge = (f'Bearer realm="{issuer_url(current_tenant())}", '
                     f'resource_metadata="{protected_resource_metadata_url()}"')
        if error.error == "missing_authorization":  # §3.1: no error code without credentials
            response = problem(401, "Unauthorized", "A bearer token is required.")
        else:
            response = problem(error.status_code, error.error.replace("_", " ").capitalize(),
                               error.description, error=error.error)
            challenge += f', error="{error.error}", error_description="{error.description}"'
        response.headers["WWW-Authenticate"] = challenge
        abort(response)


def _form_body_token() -> str | None:
    """``access_token`` of a form-encoded, non-GET body (RFC 6750 §2.2), if there is one."""
    if request.method == "GET" or \
            request.mimetype != "application/x-www-form-urlencoded":
        return None
    return request.form.get("access_token")


def build_server() -> TenantAuthorizationServer:
    """The authorization server with Tessera's grants and endpoints registered."""
    server = TenantAuthorizationServer()
    server.register_token_generator("default", generate_token)
    server.scopes_supported = list(SCOPES)
    server.register_grant(AuthorizationCodeGrant, [RequestParameters(),
                                                   S256CodeChallenge(required=True),
                                                   TenantOpenIDCode()])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(PasswordGrant)
    server.register_grant(device.DeviceCodeGrant)
    server.register_grant(exchange.TokenExchangeGrant)
    server.register_endpoint(TenantRevocationEndpoint)
    server.register_endpoint(TenantIntrospectionEndpoint)
    server.register_endpoint(device.TenantDeviceAuthorizationEndpoint)
    server.register_endpoint(registration.TenantRegistrationEndpoint)
    server.register_endpoint(registration.TenantConfigurationEndpoint)
    server.register_endpoint(logout.TenantEndSessionEndpoint)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_client_auth_method(ClientSecretJWT.CLIENT_AUTH_METHOD, ClientSecretJWT())
    return server


def build_protector(userinfo: bool = False) -> TenantResourceProtector:
    """The RFC 6750 guard: for the tenant REST API, or (``userinfo``) for userinfo, which
    takes a token for any audience, in the header or a form body."""
    protector = TenantResourceProtector(form_body=userinfo)
    protector.register_token_validator(UserinfoTokenValidator() if userinfo
                                       else TenantBearerTokenValidator())
    return protector


authorization = build_server()
require_oauth = build_protector()
require_userinfo_token = build_protector(userinfo=True)
