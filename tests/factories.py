"""Build real rows through the real services (no fixtures that bypass the rules)."""
from __future__ import annotations

import itertools
import secrets
import time
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import select

from api import audit
from api.accounts.models import AccountToken
from api.clients.models import Client, InitialAccessToken
from api.clients.services import LOGOUT_AND_CORS, add_client
from api.db import tenant_scope, utcnow
from api.extensions import db
from api.mfa import services as mfa
from api.mfa.models import RecoveryCode, TotpFactor
from api.oauth.models import (AuthorizationCode, AuthorizationRequest, ClientAssertion, Consent,
                              DeviceAuthorization, FormPostResponse, Grant, SignInSession,
                              Token)
from api.resources.models import Resource
from api.outbox.models import OutboxMessage
from api.passkeys.models import AUTHENTICATE, Passkey, PasskeyChallenge
from api.tenancy.services import create_tenant
from api.users.models import User
from api.users.services import create_user
from api.v1.projects.models import Project

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


def tenant(slug: str | None = None, owner_email: str = "owner@example.com"):
    """A tenant and its owner; returns ``(tenant, owner)``."""
    slug = slug or f"tenant-{next(_numbers)}"
    return create_tenant(slug, slug.title(), owner_email, PASSWORD, actor=audit.OPERATOR,
                         frontend_url=current_app.config["PUBLIC_FRONTEND_URL"])


def user(tenant, email: str | None = None, role: str = "user"):
    email = email or f"user{next(_numbers)}@example.com"
    with tenant_scope(db.session, tenant.id):
        return create_user(email, PASSWORD, role, audit.OPERATOR)


def client(tenant, grant_types=("client_credentials",), scope="projects:read",
           redirect_uris=(), public=False, first_party=False, require_pkce=True,
           **registration):
    """A client and its secret; returns ``(client, secret)``. ``registration``: more of
    :func:`api.clients.services.add_client` (``auth_method``, ``jwks``, ``jwks_uri``) and
    the logout and CORS fields (``post_logout_redirect_uris``, ``allowed_cors_origins``, ...)."""
    metadata = {name: registration.pop(name) for name in LOGOUT_AND_CORS if name in registration}
    with tenant_scope(db.session, tenant.id):
        registered = add_client(f"App {next(_numbers)}", list(grant_types), scope,
                                list(redirect_uris), public, audit.OPERATOR, first_party,
                                require_pkce=require_pkce, metadata=metadata, **registration)
        db.session.commit()
        return registered


def activity(tenant, expires_at: datetime | None = None) -> None:
    """What a tenant gathers in use, one row of each kind, expiring at ``expires_at`` (in an
    hour by default): a sign-in session of its owner's, a grant begun in it to its console
    client with a token, an authorization code, a pending sign-in, a form-post response, a
    consent, a project, a registered API, an initial access token, a device authorization,
    a used client assertion, an account link, an outbox message, a TOTP factor, a
    recovery code, a passkey and a passkey ceremony's challenge. Committed."""
    expires_at = expires_at or utcnow() + timedelta(hours=1)
    with tenant_scope(db.session, tenant.id):
        owner = db.session.scalars(select(User)).first()
        client = db.session.scalars(select(Client)).first()
        signed_in = SignInSession(user_id=owner.id, auth_time=utcnow(), amr=["pwd"],
                                  expires_at=expires_at)
        db.session.add(signed_in)
        db.session.flush()
        grant = Grant(client_id=client.id, user_id=owner.id, grant_type="authorization_code",
                      scope="openid", expires_at=expires_at, session_id=signed_in.id)
        db.session.add(grant)
        db.session.flush()
        db.session.add_all([
            Token(grant_id=grant.id, jti=secrets.token_hex(16), access_expires_at=expires_at),
            AuthorizationCode(code_hash=secrets.token_hex(32), client_id=client.id,
                              user_id=owner.id, redirect_uri="https://app.example/cb",
                              auth_time=utcnow(), amr=["pwd"], expires_at=expires_at),
            AuthorizationRequest(challenge_hash=secrets.token_hex(32),
                                 browser_hash=secrets.token_hex(32), client_id=client.id,
                                 params={}, expires_at=expires_at),
            FormPostResponse(reference_hash=secrets.token_hex(32),
                             redirect_uri="https://app.example/cb", sealed_params="sealed",
                             expires_at=expires_at),
            Consent(user_id=owner.id, client_id=client.id, scope="openid"),
            Project(name="Activity", owner_id=owner.id),
            Resource(identifier=f"https://api.example/{secrets.token_hex(4)}", name="Activity",
                     scope="projects:read"),
            InitialAccessToken(token_hash=secrets.token_hex(32), expires_at=expires_at),
            DeviceAuthorization(device_code_hash=secrets.token_hex(32),
                                user_code_hash=secrets.token_hex(32), client_id=client.id,
                                expires_at=expires_at),
            ClientAssertion(client_id=client.id, jti=secrets.token_hex(16),
                            expires_at=expires_at),

            AccountToken(user_id=owner.id, purpose="reset_password",
                         token_hash=secrets.token_hex(32), email=owner.email,
                         expires_at=expires_at),
            OutboxMessage(kind="mail", summary={"to": owner.email}, status="sent"),
            TotpFactor(user_id=owner.id, sealed_secret="sealed"),
            RecoveryCode(user_id=owner.id, code_hash=secrets.token_hex(32)),
            Passkey(user_id=owner.id, credential_id=secrets.token_urlsafe(16),
                    public_key=secrets.token_bytes(77), name="Activity"),
            PasskeyChallenge(challenge_hash=secrets.token_hex(32), purpose=AUTHENTICATE,
                             expires_at=expires_at)])
        db.session.commit()


class Authenticator:
    """An authenticator app holding a user's TOTP secret (RFC 6238)."""

    def __init__(self, secret: str):
        self.totp = pyotp.TOTP(secret)

    def code(self, steps: int = 0) -> str:
        """The code of the current time step, or of the one ``steps`` away."""
        return self.totp.at(time.time() + self.totp.interval * steps)


def second_factor(tenant, user) -> tuple[Authenticator, list[str]]:
    """Enrol ``user``'s authenticator app as the account page does (confirmed with the
    previous step's code, so the current one is still unused); returns the app and the
    recovery codes."""
    with tenant_scope(db.session, tenant.id):
        app = Authenticator(mfa.begin_totp(tenant, user)["secret"])
        codes = mfa.confirm_totp(tenant, user, app.code(-1), audit.Actor.of_user(user))
        db.session.commit()
        return app, codes
