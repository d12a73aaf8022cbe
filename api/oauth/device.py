"""Device Authorization Grant (RFC 8628): the device authorization endpoint, the
``device_code`` grant, and the verification a signed-in user does in the browser.

- ``POST {issuer}/device_authorization`` (§3.1-3.2), for clients registered for the
  grant: a device code (stored as a digest) and a user code of 8 characters from an
  alphabet without vowels or look-alikes (§6.1), shown as ``XXXX-XXXX``, entered in
  any case, with or without the hyphen; the verification URI is the frontend's
  ``/t/{slug}/device`` (and ``…?user_code=…`` complete).
- The user enters the code there; the frontend sends the browser to
  ``{issuer}/device/verify?user_code=…``, which parks a sign-in challenge for the
  device authorization and hands off to the frontend's sign-in and consent pages
  exactly as ``/authorize`` does (:mod:`api.oauth.challenges`). A device challenge
  always asks for consent (the user must see which client and scopes the code is
  for, §5.4). Guesses are throttled per address and per tenant (§5.1).
- The device polls the token endpoint (§3.4-3.5): ``authorization_pending``, then
  ``slow_down`` (and 5 s more interval for good) when it polls faster than its
  interval, ``access_denied``, ``expired_token``; the tokens are issued once.
"""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749.errors import (AccessDeniedError, InvalidGrantError,
                                           UnauthorizedClientError)
from authlib.oauth2.rfc8628 import (DEVICE_CODE_GRANT_TYPE, AuthorizationPendingError,
                                    DeviceAuthorizationEndpoint, ExpiredTokenError,
                                    SlowDownError)
from authlib.oauth2.rfc8628 import DeviceCodeGrant as Rfc8628DeviceCodeGrant
from flask import current_app
from sqlalchemy import select, update

from api import audit
from api.clients.models import AUTH_METHODS, Client
from api.db import utcnow
from api.extensions import db
from api.oauth import targets
from api.oauth.models import DeviceAuthorization
from api.ratelimit import services as ratelimit
from api.rbac.permissions import narrow_scope
from api.security import digest, generate_secret
from api.tenancy.context import current_tenant
from api.users.models import User, load_with_permissions

#: RFC 8628 §6.1: 20 consonants: no vowels (no words), no 0/O or 1/I look-alikes.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
LIFETIME = timedelta(minutes=10)
INTERVAL = 5
SLOW_DOWN_STEP = 5
GUESS_WINDOW = 15 * 60
GUESSES_PER_IP = 10
GUESSES_PER_TENANT = 300
PENDING, APPROVED, DENIED, REDEEMED = "pending", "approved", "denied", "redeemed"


def normalize_user_code(raw: str) -> str:
    """The code as stored: upper case, separators and spaces dropped."""
    return re.sub(r"[^A-Z]", "", raw.upper())[:64]


def format_user_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def verification_uri() -> str:
    return f"{current_app.config['PUBLIC_FRONTEND_URL']}/t/{current_tenant().slug}/device"


class TenantDeviceAuthorizationEndpoint(DeviceAuthorizationEndpoint):
    """RFC 8628 §3.1-3.2 for this tenant's clients registered for the device grant."""

    CLIENT_AUTH_METHODS = list(AUTH_METHODS)
    EXPIRES_IN = int(LIFETIME.total_seconds())
    INTERVAL = INTERVAL

    def authenticate_client(self, request) -> Client:
        client = super().authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("The client is not registered for the device grant.")
        targets.bind(targets.from_request(request))
        return client

    def generate_user_code(self) -> str:
        code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        return format_user_code(code)

    def generate_device_code(self) -> str:
        return generate_secret(32)

    def get_verification_uri(self) -> str:
        return verification_uri()

    def save_device_credential(self, client_id: str, scope: str | None, data: dict) -> None:
        client = db.session.scalar(select(Client).where(Client.client_id == client_id))
        target, _ = targets.bound()
        db.session.add(DeviceAuthorization(
            device_code_hash=digest(data["device_code"]),
            user_code_hash=digest(normalize_user_code(data["user_code"])),
            client_id=client.id, scope=target.narrow(client.get_allowed_scope(scope)),
            resource=target.stored, interval=INTERVAL, expires_at=utcnow() + LIFETIME))


class DeviceCodeGrant(Rfc8628DeviceCodeGrant):
    """RFC 8628 §3.4-3.5: the device polls; tokens once the user approved, exactly once."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def query_device_credential(self, device_code: str) -> DeviceAuthorization:
        row = db.session.scalar(select(DeviceAuthorization).where(
            DeviceAuthorization.device_code_hash == digest(device_code)))
        if row is None or row.status == REDEEMED:
            raise InvalidGrantError("Unknown or already used device_code.")
        return row

    def validate_token_request(self) -> None:
        super().validate_token_request()
        targets.bind(targets.lookup(self.request.credential.resource))

    def validate_device_credential(self, credential: DeviceAuthorization) -> User:
        if credential.is_expired():
            raise ExpiredTokenError()
        if credential.status == DENIED:
            raise AccessDeniedError()
        if credential.status == APPROVED:
            user = load_with_permissions(credential.user_id)
            if user is None or not user.can_sign_in:
                raise AccessDeniedError()
            return user
        now = utcnow()
        too_fast = (credential.last_polled_at is not None and
                    now - credential.last_polled_at < timedelta(seconds=credential.interval))
        credential.last_polled_at = now  # the token endpoint commits, errors included
        if too_fast:
            credential.interval += SLOW_DOWN_STEP
            raise SlowDownError()
        raise AuthorizationPendingError()

    def create_token_response(self):
        """Claim the approved authorization atomically: of parallel polls exactly one wins."""
        claimed = db.session.execute(
            update(DeviceAuthorization)
            .where(DeviceAuthorization.id == self.request.credential.id,
                   DeviceAuthorization.status == APPROVED)
            .values(status=REDEEMED).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            raise InvalidGrantError("Unknown or already used device_code.")
        return super().create_token_response()


class UserCodeThrottled(Exception):
    """Too many user codes tried from this address or in this tenant."""


def find_by_user_code(raw: str, ip: str | None) -> DeviceAuthorization | None:
    """The pending, unexpired device authorization with this user code (§5.1: throttled)."""
    tenant_id = current_tenant().id
    keys = {f"device-code-ip:{tenant_id}:{ip}": GUESSES_PER_IP,
            f"device-code:{tenant_id}": GUESSES_PER_TENANT}
    hits = ratelimit.hit_all(list(keys), GUESS_WINDOW)
    if any(hits[key] > limit for key, limit in keys.items()):
        audit.record_now("device.code_throttled", audit.Actor.anonymous(ip or ""),
                         tenant_id=tenant_id, ip=ip)
        raise UserCodeThrottled()
    code = normalize_user_code(raw)
    row = db.session.scalar(select(DeviceAuthorization).where(
        DeviceAuthorization.user_code_hash == digest(code))) if code else None
    if row is None or row.status != PENDING or row.is_expired():
        return None
    ratelimit.settle(GUESS_WINDOW, release=list(keys))
    return row


def decide(device_id, user: User, approve: bool) -> bool:
    """Record the user's decision on a pending device authorization (once); False if it
    was no longer pending."""
    decided = db.session.execute(
        update(DeviceAuthorization)
        .where(DeviceAuthorization.id == device_id, DeviceAuthorization.status == PENDING,
               DeviceAuthorization.expires_at > utcnow())
        .values(status=APPROVED if approve else DENIED, user_id=user.id)
        .execution_options(synchronize_session=False)).rowcount == 1
    if decided:
        row = db.session.get(DeviceAuthorization, device_id)
        db.session.refresh(row)
        row.scope = narrow_scope(row.scope, user.permissions)
        audit.record("device.approved" if approve else "device.denied",
                     audit.Actor.of_user(user), row.client, client_id=row.client.client_id,
                     scope=row.scope)
    return decided
