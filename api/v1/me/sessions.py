"""``/me/sessions``: the caller's own live sign-in sessions (which browser, from where, since
and last seen when), ending one, or all of them (signing out everywhere)."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api.access.caller import Caller
from api.db import utcnow
from api.errors import NotFound
from api.extensions import db
from api.oauth import session
from api.oauth.models import SignInSession
from api.v1.me.services import own_user
from api.v1.users.services import sign_out_everywhere


def live_sessions(caller: Caller) -> Select:
    """The caller's live sign-in sessions, the latest first."""
    return (select(SignInSession)
            .where(SignInSession.user_id == own_user(caller, write=False).id,
                   SignInSession.ended_at.is_(None), SignInSession.expires_at > utcnow())
            .order_by(SignInSession.created_at.desc(), SignInSession.id))


def as_dict(signed_in: SignInSession, caller: Caller) -> dict:
    """A session as the API shows it; ``current`` when the caller's token was issued in it
    (the browser asking is that one)."""
    return {"id": signed_in.id, "user_agent": signed_in.user_agent,
            "ip_address": signed_in.ip_address, "created_at": signed_in.created_at,
            "auth_time": signed_in.auth_time, "last_seen_at": signed_in.last_seen_at,
            "expires_at": signed_in.expires_at,
            "current": signed_in.id == caller.token.session_id}


def end_session(caller: Caller, session_id: uuid.UUID) -> None:
    """End one of the caller's live sessions (its grants and clients' sessions with it,
    :func:`api.oauth.session.end`); another user's, or an ended one, is not found."""
    signed_in = db.session.scalar(live_sessions(caller).where(SignInSession.id == session_id))
    if signed_in is None:
        raise NotFound("No such session.")
    session.end(signed_in, caller.actor, "ended by its user")
    db.session.commit()


def end_all(caller: Caller) -> None:
    """Sign out everywhere: every session ended, every grant revoked."""
    sign_out_everywhere(caller, own_user(caller, write=False).id)
