"""Housekeeping: delete protocol state nobody can use any more.

Run ``flask --app api purge`` from cron or a systemd timer (hourly is plenty).
Expired codes, pending sign-in requests, unposted form-post responses, device
authorizations, the ``jti`` of used client assertions, grants (with their tokens),
sign-in sessions, account links, passkey ceremonies and throttle windows go; the audit
log keeps the history. It spans tenants, so it runs on the admin role's session
(DATABASE_ADMIN_URL; see :mod:`api.rls`).
"""
from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.accounts.models import AccountToken
from api.db import unscoped, utcnow
from api.oauth.models import (AuthorizationCode, AuthorizationRequest, ClientAssertion,
                              DeviceAuthorization, FormPostResponse, Grant,
                              SignInSession)
from api.passkeys.models import PasskeyChallenge
from api.ratelimit.models import ThrottleCounter


def purge_expired(session: Session) -> dict[str, int]:
    """Delete everything expired, across tenants; returns how many rows of each went."""
    now = utcnow()
    counts = {}
    with unscoped(session):
        for name, model in (("authorization_codes", AuthorizationCode),
                            ("authorization_requests", AuthorizationRequest),
                            ("form_post_responses", FormPostResponse),
                            ("device_authorizations", DeviceAuthorization),
                            ("client_assertions", ClientAssertion),
                            ("grants", Grant), ("sign_in_sessions", SignInSession),
                            ("account_tokens", AccountToken),
                            ("passkey_challenges", PasskeyChallenge),
                            ("throttle_counters", ThrottleCounter)):
            counts[name] = session.execute(
                delete(model).where(model.expires_at <= now)
                .execution_options(synchronize_session=False)).rowcount
        session.commit()
    return counts
