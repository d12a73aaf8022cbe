"""Back-Channel Logout 1.0: which clients hear that a sign-in session ended, the logout
token each one gets, and the POST that delivers it, through the durable outbox.

When a session ends (:func:`api.oauth.session.end`), :func:`announce` queues one outbox
message of kind :data:`KIND` for every client that was issued tokens in it and
registered a ``backchannel_logout_uri``, in the same transaction. The outbox delivers it
after the commit, retries it with backoff and gives up in the end (:mod:`api.outbox`).
Delivering one (:func:`deliver`) signs a fresh logout token (§2.4: ``typ: logout+jwt``;
``iss``, ``aud``, ``iat``, a short ``exp``, ``jti``, the back-channel logout ``events``
member, ``sub`` and ``sid``; never a ``nonce``) with the tenant's signing key at that
moment, so a retry never sends an expired token, and POSTs it as ``logout_token``
through :mod:`api.outbound` (no private or loopback targets unless
``OUTBOUND_ALLOW_PRIVATE``, no redirects, bounded time). Any answer but 2xx raises, and
the outbox tries again (§2.8).
"""
from __future__ import annotations

import time
import uuid

from flask import Flask
from joserfc import jwt
from sqlalchemy import select

from api import outbound
from api.clients.models import Client
from api.db import tenant_scope
from api.extensions import db
from api.keys import services as keys
from api.oauth.models import Grant, SignInSession
from api.outbox import services as outbox
from api.tenancy.context import issuer_url
from api.tenancy.models import Tenant

KIND = "backchannel_logout"
LOGOUT_TOKEN_TYPE = "logout+jwt"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: How long a logout token is good for: it is signed when it is sent, so this is short.
LIFETIME = 120


def init_app(app: Flask) -> None:
    """Let the outbox deliver messages of kind :data:`KIND`."""
    outbox.register(KIND, deliver)


def notices(signed_in: SignInSession) -> list[dict]:
    """What to deliver for an ended session: one notice per client with a back-channel
    logout URI that was issued tokens in it."""
    clients = db.session.scalars(select(Client).where(
        Client.backchannel_logout_uri.is_not(None),
        Client.id.in_(select(Grant.client_id).where(Grant.session_id == signed_in.id))))
    return [{"tenant_id": str(signed_in.tenant_id), "client_id": client.client_id,
             "sub": str(signed_in.user_id), "sid": str(signed_in.id)} for client in clients]


def announce(signed_in: SignInSession) -> None:
    """Queue the notices of an ended session in the outbox (the caller commits)."""
    for notice in notices(signed_in):
        outbox.enqueue(KIND, notice, {"client_id": notice["client_id"], "sid": notice["sid"]})


def logout_token(tenant: Tenant, client: Client, sub: str, sid: str) -> str:
    """A signed logout token for ``client`` about session ``sid`` of user ``sub`` (§2.4)."""
    kid, alg, key = keys.active_key(tenant.id)
    now = int(time.time())
    claims = {"iss": issuer_url(tenant), "aud": client.client_id, "iat": now,
              "exp": now + LIFETIME, "jti": uuid.uuid4().hex, "events": {EVENT: {}},
              "sub": sub, "sid": sid}
    return jwt.encode({"alg": alg, "kid": kid, "typ": LOGOUT_TOKEN_TYPE}, claims, key,
                      algorithms=[alg])


def deliver(notice: dict) -> None:
    """POST a fresh logout token for ``notice`` to its client (§2.5); raises when the
    client is gone, the URL may not be called, or it did not answer 2xx."""
    tenant_id = uuid.UUID(notice["tenant_id"])
    with tenant_scope(db.session, tenant_id):
        tenant = db.session.get(Tenant, tenant_id)
        client = db.session.scalar(select(Client).where(Client.client_id
                                                        == notice["client_id"]))
        if tenant is None or tenant.is_deleted or client is None \
                or not client.backchannel_logout_uri:
            raise outbound.OutboundError("the client no longer takes back-channel logouts")
        token = logout_token(tenant, client, notice["sub"], notice["sid"])
        uri = client.backchannel_logout_uri
        db.session.rollback()  # it only read: no transaction stays open during the POST
    outbound.post_form(uri, {"logout_token": token})
