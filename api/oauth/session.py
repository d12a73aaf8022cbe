"""The API's own sign-in session: a row per browser sign-in, named by a signed cookie.

The cookie (``tessera_session``) is HttpOnly, SameSite=Lax, path-scoped to the
tenant's issuer, and Secure outside development; it carries only the session's
id (signed, so it cannot be forged). The row (:class:`SignInSession`) says who
signed in, when (``auth_time``) and how (``amr``, RFC 8176 methods; :mod:`api.oauth.acr`
names the ``acr`` they make), and whether the session has ended. Its id is the ``sid``
of the ID tokens issued in it.

A session ends (:func:`end`) when its user signs out (RP-Initiated Logout), ends it on
the account page, is signed out everywhere, changes or resets their password (every session
but the one it was changed from), is deactivated or deleted (:func:`end_user_sessions`), or
when another user signs in on the same browser; on every API process at once.
Ending it revokes the grants begun in it unless they are for offline access
(Back-Channel Logout 1.0 §2.7; the console's, first-party, always end, which ends the
frontend's console session too), and queues a logout token for each client with a
back-channel logout URI that was issued tokens in it (:mod:`api.oauth.backchannel`).

For the account page, a session also names its browser (its ``User-Agent`` and address,
:func:`_name_browser`) and when that browser last came by with the cookie (written at most
every :data:`~api.oauth.models.SEEN_EVERY`, :func:`current`).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from api import audit
from api.db import utcnow
from api.extensions import db
from api.oauth import backchannel, tokens
from api.oauth.models import USER_AGENT_LENGTH, Grant, SignInSession
from api.security import generate_secret
from api.tenancy.models import Tenant
from api.users.models import User

OFFLINE_ACCESS = "offline_access"
SESSION_COOKIE = "tessera_session"
BROWSER_COOKIE = "tessera_browser"
MAX_AGE = 12 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tessera-api-session")


def _cookie_options(tenant: Tenant) -> dict:
    return {"path": f"/t/{tenant.slug}/", "httponly": True, "samesite": "Lax",
            "secure": current_app.config["TESSERA_ENV"] == "production"}


def _cookie_session_id(tenant: Tenant) -> uuid.UUID | None:
    """The session id this browser's cookie names for ``tenant`` (None without a valid one)."""
    try:
        data = _serializer().loads(request.cookies.get(SESSION_COOKIE, ""), max_age=MAX_AGE)
        session_id = uuid.UUID(data["sid"])
    except (BadSignature, KeyError, ValueError, TypeError):
        return None
    return session_id if data.get("tid") == str(tenant.id) else None


def current(tenant: Tenant) -> SignInSession | None:
    """This browser's live sign-in session for ``tenant`` (its user still able to sign in),
    noted as seen now (a write at most every SEEN_EVERY; the caller commits)."""
    session_id = _cookie_session_id(tenant)
    signed_in = db.session.get(SignInSession, session_id) if session_id else None
    now = utcnow()
    if signed_in is None or not signed_in.is_live(now) or not signed_in.user.can_sign_in:
        return None
    signed_in.seen(now)
    return signed_in


def begin(tenant: Tenant, user: User, auth_time: datetime,
          amr: Iterable[str] = ("pwd",)) -> SignInSession:
    """A new sign-in session for ``user``, who authenticated at ``auth_time`` with the
    methods ``amr`` (added to the session; the caller commits). A live session this
    browser had before (someone else's) ends."""
    now = utcnow()
    replaced_id = _cookie_session_id(tenant)
    replaced = db.session.get(SignInSession, replaced_id) if replaced_id else None
    if replaced is not None and replaced.is_live(now):
        end(replaced, audit.Actor.of_user(user), "another sign-in")
    signed_in = SignInSession(id=uuid.uuid4(), user_id=user.id, auth_time=auth_time,
                              amr=list(amr), created_at=now,
                              expires_at=now + timedelta(seconds=MAX_AGE))
    db.session.add(signed_in)
    _name_browser(signed_in)
    return signed_in


def _name_browser(signed_in: SignInSession) -> None:
    """Record which browser began ``signed_in``: its ``User-Agent`` (truncated) and address.
    The request is the browser's own, back at the authorization endpoint; behind nginx,
    ``REMOTE_ADDR`` is the peer nginx saw (no forwarded header is read)."""
    signed_in.user_agent = request.user_agent.string[:USER_AGENT_LENGTH] or None
    signed_in.ip_address = (request.remote_addr or "")[:45] or None
    signed_in.last_seen_at = signed_in.created_at


def resume(tenant: Tenant, user: User, auth_time: datetime,
           signed_in: SignInSession | None, amr: Iterable[str] = ("pwd",)) -> SignInSession:
    """The sign-in session of someone who just signed in or consented: ``signed_in`` (this
    browser's) when it is theirs (signing in again moves its ``auth_time`` and ``amr`` to
    this authentication's), else a new one."""
    if signed_in is None or signed_in.user_id != user.id:
        return begin(tenant, user, auth_time, amr)
    signed_in.auth_time, signed_in.amr = auth_time, list(amr)
    return signed_in


def set_cookie(response: Response, tenant: Tenant, signed_in: SignInSession) -> None:
    value = _serializer().dumps({"sid": str(signed_in.id), "tid": str(tenant.id)})
    response.set_cookie(SESSION_COOKIE, value, max_age=MAX_AGE, **_cookie_options(tenant))


def clear_cookie(response: Response, tenant: Tenant) -> None:
    response.delete_cookie(SESSION_COOKIE, **_cookie_options(tenant))


def end(signed_in: SignInSession, actor: audit.Actor, reason: str) -> None:
    """End a sign-in session, the grants begun in it and the clients' sessions (see the
    module docstring); the caller commits."""
    signed_in.ended_at = utcnow()
    for grant in db.session.scalars(select(Grant).where(Grant.session_id == signed_in.id,
                                                        Grant.revoked_at.is_(None))):
        if grant.client.is_first_party or OFFLINE_ACCESS not in grant.scope.split():
            tokens.revoke_grant(grant, actor, reason)
    backchannel.announce(signed_in)
    audit.record("session.ended", actor, signed_in, reason=reason)


def end_user_sessions(user: User, actor: audit.Actor, reason: str,
                      keep_grant: uuid.UUID | None = None) -> None:
    """End every live sign-in session of ``user``, but the one ``keep_grant`` began in."""
    kept = db.session.scalar(select(Grant.session_id).where(Grant.id == keep_grant)) \
        if keep_grant else None
    for signed_in in db.session.scalars(select(SignInSession).where(
            SignInSession.user_id == user.id, SignInSession.ended_at.is_(None),
            SignInSession.expires_at > utcnow())).all():
        if signed_in.id != kept:
            end(signed_in, actor, reason)


def browser_id(response: Response | None = None, tenant: Tenant | None = None) -> str | None:
    """This browser's random id; with a response, one is created and set when missing."""
    existing = request.cookies.get(BROWSER_COOKIE)
    if existing or response is None:
        return existing
    created = generate_secret()
    response.set_cookie(BROWSER_COOKIE, created, **_cookie_options(tenant))
    return created
