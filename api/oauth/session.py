"""The API's own sign-in session: a signed cookie per tenant, so users sign in once.

The cookie is HttpOnly, SameSite=Lax, path-scoped to the tenant's issuer, and
Secure outside development. It names the user, the time of sign-in and when
the cookie was issued; the user must still be able to sign in when it is read,
and a cookie issued before the user's ``sessions_valid_after`` (a password
reset, or signing out everywhere) is void.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from api.extensions import db
from api.security import generate_secret
from api.tenancy.models import Tenant
from api.users.models import User

SESSION_COOKIE = "tessera_session"
BROWSER_COOKIE = "tessera_browser"
MAX_AGE = 12 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tessera-api-session")


def _cookie_options(tenant: Tenant) -> dict:
    return {"path": f"/t/{tenant.slug}/", "httponly": True, "samesite": "Lax",
            "secure": current_app.config["TESSERA_ENV"] == "production"}


def signed_in_user(tenant: Tenant) -> tuple[User | None, datetime | None]:
    """The user of this browser's session for ``tenant``, and when they signed in."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None, None
    try:
        data = _serializer().loads(raw, max_age=MAX_AGE)
        user_id = uuid.UUID(data["uid"])
    except (BadSignature, KeyError, ValueError, TypeError):
        return None, None
    if data.get("tid") != str(tenant.id):
        return None, None
    user = db.session.get(User, user_id)
    if user is None or not user.can_sign_in or _revoked(user, data.get("iat")):
        return None, None
    return user, datetime.fromtimestamp(data["at"], timezone.utc)


def _revoked(user: User, issued_at) -> bool:
    if user.sessions_valid_after is None:
        return False
    return not isinstance(issued_at, (int, float)) or \
        issued_at < user.sessions_valid_after.timestamp()


def start_session(response: Response, tenant: Tenant, user: User, auth_time: datetime) -> None:
    value = _serializer().dumps({"uid": str(user.id), "tid": str(tenant.id),
                                 "at": int(auth_time.timestamp()), "iat": time.time()})
    response.set_cookie(SESSION_COOKIE, value, max_age=MAX_AGE, **_cookie_options(tenant))


def end_session(response: Response, tenant: Tenant) -> None:
    response.delete_cookie(SESSION_COOKIE, **{k: v for k, v in _cookie_options(tenant).items()
                                              if k in ("path", "secure", "httponly",
                                                       "samesite")})


def browser_id(response: Response | None = None, tenant: Tenant | None = None) -> str | None:
    """This browser's random id; with a response, one is created and set when missing."""
    existing = request.cookies.get(BROWSER_COOKIE)
    if existing or response is None:
        return existing
    created = generate_secret()
    response.set_cookie(BROWSER_COOKIE, created, **_cookie_options(tenant))
    return created
