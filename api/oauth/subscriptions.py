"""What the OAuth server does when users or tenants change: revoke the tokens they no longer
deserve, and end the sign-in sessions of users who can no longer sign in, were signed out
everywhere, or whose password changed (:func:`api.oauth.session.end_user_sessions`)."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update

from api import audit
from api.db import utcnow
from api.extensions import db
from api.oauth import session, tokens
from api.oauth.models import Grant, Token
from api.rbac.permissions import ALL
from api.tenancy.services import tenant_deleted
from api.users import signals
from api.users.models import User


def _active_grants(user: User) -> list[Grant]:
    return list(db.session.scalars(select(Grant).where(Grant.user_id == user.id,
                                                       Grant.revoked_at.is_(None))))


def revoke_excess(user: User, actor: audit.Actor, **_) -> None:
    """Revoke the user's grants whose scope holds a permission the user lost."""
    allowed = user.permissions
    for grant in _active_grants(user):
        if (set(grant.scope.split()) & set(ALL)) - allowed:
            tokens.revoke_grant(grant, actor, "permissions reduced")


def revoke_all(user: User, actor: audit.Actor, keep: uuid.UUID | None = None, **_) -> None:
    """Revoke every grant of the user, except ``keep``."""
    for grant in _active_grants(user):
        if grant.id != keep:
            tokens.revoke_grant(grant, actor, "access ended")


def end_sessions_for_access(user: User, actor: audit.Actor, **_) -> None:
    session.end_user_sessions(user, actor, "access ended")


def end_sessions_for_sign_out(user: User, actor: audit.Actor, **_) -> None:
    session.end_user_sessions(user, actor, "signed out everywhere")


def end_sessions_for_password(user: User, actor: audit.Actor, keep: uuid.UUID | None = None,
                              **_) -> None:
    """Every sign-in session but the one the change was made from ends."""
    session.end_user_sessions(user, actor, "password changed", keep_grant=keep)


def revoke_tenant(tenant, actor: audit.Actor, **_) -> None:
    """Revoke every grant and token of a deleted tenant (the session is scoped to it)."""
    now = utcnow()
    revoked = {model.__tablename__: db.session.execute(
        update(model).where(model.revoked_at.is_(None)).values(revoked_at=now)
        .execution_options(synchronize_session=False)).rowcount for model in (Grant, Token)}
    audit.record("grants.revoked", actor, tenant, reason="tenant deleted", **revoked)


def connect() -> None:
    """Subscribe to the user and tenant signals (idempotent)."""
    signals.permissions_reduced.connect(revoke_excess)
    signals.access_ended.connect(revoke_all)
    signals.access_ended.connect(end_sessions_for_access)
    signals.password_changed.connect(revoke_all)
    signals.password_changed.connect(end_sessions_for_password)
    signals.signed_out.connect(revoke_all)
    signals.signed_out.connect(end_sessions_for_sign_out)
    tenant_deleted.connect(revoke_tenant)
