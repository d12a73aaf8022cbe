"""Token exchange (RFC 8693) for services calling services, within one tenant.

A client registered for the grant presents an access token of this tenant (the
subject token) and asks for a token for another registered resource
(``resource`` or ``audience``, §2.1; the REST API when neither is given). The new
token:

- speaks for the same subject (``sub``: the user, or the client the subject
  token was issued to) and records the delegation in ``act`` (§4.1): the exchanging
  client, with any earlier ``act`` of the subject token nested inside;
- carries the requested scopes, which must be among the subject token's
  (``invalid_scope`` otherwise) and are further narrowed to the exchanging
  client's registered scopes and to what the resource accepts;
- is an access token only (no refresh token), ``issued_token_type`` §2.2.1.

Tokens of other tenants never verify here (the lookup is this tenant's), and a
revoked or expired subject token is ``invalid_grant`` (§2.2.2). Every exchange is
audited with the subject token's ``jti``.
"""
from __future__ import annotations

from authlib.oauth2.rfc6749 import BaseGrant, TokenEndpointMixin
from authlib.oauth2.rfc6749.errors import (InvalidGrantError, InvalidRequestError,
                                           InvalidScopeError, UnauthorizedClientError)

from api import audit
from api.clients.models import CONFIDENTIAL_AUTH_METHODS
from api.oauth import targets, tokens
from api.tenancy.context import current_tenant, issuer_url
from api.users.models import load_with_permissions

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):
    """RFC 8693 §2.1-2.2 with access tokens as subject tokens; the client is the actor."""

    GRANT_TYPE = TOKEN_EXCHANGE
    TOKEN_ENDPOINT_AUTH_METHODS = list(CONFIDENTIAL_AUTH_METHODS)

    def validate_token_request(self) -> None:
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(TOKEN_EXCHANGE):
            raise UnauthorizedClientError("The client is not registered for token exchange.")
        data = self.request.payload.data
        if not data.get("subject_token") or not data.get("subject_token_type"):
            raise InvalidRequestError("subject_token and subject_token_type are required.")
        if data["subject_token_type"] != ACCESS_TOKEN_TYPE or \
                data.get("requested_token_type", ACCESS_TOKEN_TYPE) != ACCESS_TOKEN_TYPE:
            raise InvalidRequestError("Only access tokens are exchanged here.")
        if data.get("actor_token"):
            raise InvalidRequestError("actor_token is not supported: the client is the actor.")
        subject = self._subject_token(data["subject_token"])
        self._check_scope(subject.scope)
        requested = self.request.payload.datalist
        target = targets.resolve(requested.get("resource", []) + requested.get("audience", []))
        grant = subject.grant
        claims = tokens.verified_claims()
        act = {"sub": str(client.id), "client_id": client.client_id}
        if grant.exchange:
            act["act"] = grant.exchange["act"]
        targets.bind(target, {"subject": claims["sub"], "act": act})
        self.request.client, self.request.subject_token = client, subject
        self.request.user = load_with_permissions(grant.user_id) if grant.user_id else None

    def _subject_token(self, value: str):
        tenant = current_tenant()
        token = tokens.find_access_token(value, tenant, issuer_url(tenant))
        if token is None or token.is_revoked():
            raise InvalidGrantError("The subject token is not an active access token of "
                                    "this tenant.")
        return token

    def _check_scope(self, subject_scope: str) -> None:
        requested = self.request.payload.scope
        if requested and not set(requested.split()) <= set(subject_scope.split()):
            raise InvalidScopeError("The requested scope exceeds the subject token's.")

    def create_token_response(self):
        scope = self.request.payload.scope or self.request.subject_token.scope
        token = self.generate_token(user=self.request.user, scope=scope,
                                    include_refresh_token=False)
        token["issued_token_type"] = ACCESS_TOKEN_TYPE
        self.save_token(token)
        target, exchange = targets.bound()
        audit.record("token.exchanged", audit.Actor.of_client(self.request.client),
                     self.request.subject_token.grant, subject=exchange["subject"],
                     subject_jti=self.request.subject_token.jti, resource=target.identifier,
                     scope=token.get("scope", ""))
        return 200, token, self.TOKEN_RESPONSE_HEADER
