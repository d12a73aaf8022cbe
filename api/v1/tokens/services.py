"""Listing and revoking active grants, within what the caller may see."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.access.caller import Caller
from api.clients.models import Client
from api.db import utcnow
from api.errors import InvalidInput, NotFound
from api.extensions import db
from api.oauth import tokens
from api.oauth.models import Grant
from api.rbac.permissions import TOKENS_MANAGE
from api.users.models import User


def visible_grants(caller: Caller) -> Select:
    """Active grants the caller may see: all with tokens:manage, else their own."""
    statement = (select(Grant, Client.client_id, Client.client_name, User.email)
                 .join(Client, Client.id == Grant.client_id)
                 .outerjoin(User, User.id == Grant.user_id)
                 .where(Grant.revoked_at.is_(None), Grant.expires_at > utcnow())
                 .order_by(Grant.created_at.desc()))
    if caller.can(TOKENS_MANAGE):
        return statement
    if caller.user is not None:
        return statement.where(Grant.user_id == caller.user.id)
    return statement.where(Grant.client_id == caller.client.id, Grant.user_id.is_(None))


def list_grants(caller: Caller, user_id: uuid.UUID | None = None,
                client_id: str | None = None, grant_type: str | None = None) -> Select:
    """The visible grants, filtered by user, client (its ``client_id``) and grant type."""
    statement = visible_grants(caller)
    if user_id:
        statement = statement.where(Grant.user_id == user_id)
    if client_id:
        statement = statement.where(Client.client_id == client_id)
    if grant_type:
        statement = statement.where(Grant.grant_type == grant_type)
    return statement


def revoke_matching(caller: Caller, **filters) -> int:
    """Revoke every visible grant matching ``filters`` (a user's, a client's); how many."""
    filters = {name: value for name, value in filters.items() if value}
    if not filters:
        raise InvalidInput("user_id", "name a user_id or client_id to revoke in bulk")
    grants = [row[0] for row in db.session.execute(list_grants(caller, **filters))]
    for grant in grants:
        tokens.revoke_grant(grant, caller.actor, "revoked in bulk through the API")
    audit.record("grants.bulk_revoked", caller.actor, revoked=len(grants),
                 **{name: str(value) for name, value in filters.items()})
    db.session.commit()
    return len(grants)


def as_dict(row) -> dict:
    grant, client_id, client_name, email = row
    return {"id": grant.id, "client_id": client_id, "client_name": client_name,
            "user_id": grant.user_id, "user_email": email, "grant_type": grant.grant_type,
            "scope": grant.scope, "created_at": grant.created_at, "expires_at": grant.expires_at}


def get_grant(caller: Caller, grant_id: uuid.UUID):
    row = db.session.execute(visible_grants(caller).where(Grant.id == grant_id)).first()
    if row is None:
        raise NotFound("No such active grant.")
    return row


def revoke(caller: Caller, grant_id: uuid.UUID) -> None:
    """Revoke a grant and all its tokens, effective at once.

    Outside the write policy (:mod:`api.access.policy`) on purpose: revoking only ends
    access, so whoever may see a grant may end it, whatever it carries.
    """
    grant, *_ = get_grant(caller, grant_id)
    tokens.revoke_grant(grant, caller.actor, "revoked through the API")
    db.session.commit()
