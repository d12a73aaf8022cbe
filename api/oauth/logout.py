"""Signing out: RP-Initiated Logout 1.0 at the ``end_session_endpoint`` (Authlib's
:class:`EndSessionEndpoint` does the protocol).

- ``id_token_hint`` is valid when it verifies with a key in the tenant's JWKS and names
  the tenant as ``iss`` and one of its clients as ``aud`` (``azp``); an expired hint is
  still good for signing out (§2). An invalid hint counts as none.
- A valid hint from this browser's own session (its ``sid``) signs out at once. Anything
  else (no hint, an invalid one, one from another session) is *parked*: signed into a
  short-lived request the browser carries to the frontend's confirmation page, which
  settles it server-side after a POST with a CSRF token (:func:`describe`,
  :func:`confirm`). A GET alone, from a cross-site ``<img>`` say, never signs anyone out.
- The browser goes back only to a ``post_logout_redirect_uri`` registered on the client
  (exact match, §3), with ``state``; otherwise to the frontend's signed-out page. Without
  a valid hint the client is the one ``client_id`` names, and the redirect happens only
  after the person confirmed.

Signing out ends the browser's sign-in session (:func:`api.oauth.session.end`, which
says what else ends with it and who is told).
"""
from __future__ import annotations

import uuid

from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc.jwk import KeySet
from sqlalchemy import select

from api import audit
from api.clients.models import Client
from api.db import utcnow
from api.errors import NotFound
from api.extensions import db
from api.keys import services as keys
from api.oauth import session, tokens
from api.oauth.models import SignInSession
from api.tenancy.context import current_tenant, issuer_url

ID_TOKEN_TYPE = "JWT"
#: How long a parked sign-out waits for the person to confirm it.
PARKED_SECONDS = 600


class TenantEndSessionEndpoint(EndSessionEndpoint):
    """RP-Initiated Logout 1.0 under the tenant's issuer (see the module docstring)."""

    def get_server_jwks(self) -> KeySet:
        return KeySet.import_key_set(keys.jwks(current_tenant().id))

    def _validate_id_token_hint(self, id_token_hint: str) -> dict | None:
        """The hint's claims when the tenant issued it to one of its clients (§2: issuer,
        audience, signature by a published key; expiry is not checked); else None."""
        tenant = current_tenant()
        verified = tokens.verify_jwt(id_token_hint, tenant, ID_TOKEN_TYPE)
        if verified is None:
            return None
        kid, claims = verified
        published = {key["kid"] for key in keys.jwks(tenant.id)["keys"]}
        if kid not in published or claims.get("iss") != issuer_url(tenant):
            return None
        return claims if self.resolve_client_from_id_token_claims(claims) else None

    def resolve_client_from_id_token_claims(self, id_token_claims: dict) -> Client | None:
        """The client the ID token was issued to: ``azp``, else its only audience."""
        aud = id_token_claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        client_id = id_token_claims.get("azp") or (audiences[0] if len(audiences) == 1
                                                   else None)
        if not isinstance(client_id, str) or client_id not in audiences:
            return None
        return self.server.query_client(client_id)

    def _is_valid_post_logout_redirect_uri(self, client: Client, uri: str) -> bool:
        return uri in client.post_logout_redirect_uris

    def is_post_logout_redirect_uri_legitimate(self, request, post_logout_redirect_uri,
                                               client, logout_hint) -> bool:
        """Without a valid hint the request is parked, and the browser is sent to the
        registered URI only once the person has confirmed signing out (§3)."""
        return True

    def end_session(self, end_session_request) -> None:
        signed_in = session.current(current_tenant())
        if signed_in is not None:
            session.end(signed_in, audit.Actor.of_user(signed_in.user), "signed out")


def signs_out_at_once(end_session_request, signed_in: SignInSession | None) -> bool:
    """Whether the request's hint speaks for this browser's session (or there is none to
    end): then no confirmation is needed."""
    claims = end_session_request.id_token_claims
    if claims is None:
        return False
    if signed_in is None:
        return True
    if claims.get("sid"):
        return claims["sid"] == str(signed_in.id)
    return claims.get("sub") == str(signed_in.user_id)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"],
                                  salt="tessera-logout-request")


def park(end_session_request, signed_in: SignInSession | None) -> str:
    """A signed, short-lived sign-out request for the frontend's confirmation page."""
    client = end_session_request.client
    return _serializer().dumps({
        "tid": str(current_tenant().id), "sid": str(signed_in.id) if signed_in else None,
        "client_id": client.client_id if client else None,
        "redirect_to": end_session_request.redirect_uri})


def _parked(request: str) -> dict:
    try:
        parked = _serializer().loads(request, max_age=PARKED_SECONDS)
    except BadSignature:
        parked = None
    if not isinstance(parked, dict) or parked.get("tid") != str(current_tenant().id):
        raise NotFound("This sign-out request has expired; sign out again from the "
                       "application.")
    return parked


def _parked_session(parked: dict) -> SignInSession | None:
    signed_in = db.session.get(SignInSession, uuid.UUID(parked["sid"])) if parked["sid"] \
        else None
    return signed_in if signed_in is not None and signed_in.is_live(utcnow()) else None


def describe(request: str) -> dict:
    """What the confirmation page shows: the application that asked, and who is signed in."""
    parked = _parked(request)
    client = db.session.scalar(select(Client).where(Client.client_id == parked["client_id"])) \
        if parked["client_id"] else None
    signed_in = _parked_session(parked)
    return {"client": {"client_name": client.client_name} if client else None,
            "user": {"email": signed_in.user.email} if signed_in else None}


def confirm(request: str) -> dict:
    """The person confirmed: end the parked session; where the browser goes next (None:
    the frontend's signed-out page)."""
    parked = _parked(request)
    signed_in = _parked_session(parked)
    if signed_in is not None:
        session.end(signed_in, audit.Actor.of_user(signed_in.user), "signed out")
    db.session.commit()
    return {"redirect_to": parked["redirect_to"]}
