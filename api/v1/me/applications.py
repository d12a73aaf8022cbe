"""``/me/applications``: the applications the caller allowed to act for them (a live grant
or a remembered consent), with what they may do, since when and when they last obtained a
token; revoking one revokes its grants and tokens and forgets the consent, so the
application must ask again. First-party clients (the console) are not listed: the
caller never allowed them anything, and ending the session they were used in ends them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from api import audit
from api.access.caller import Caller
from api.clients.models import Client
from api.db import utcnow
from api.errors import NotFound
from api.extensions import db
from api.oauth import tokens
from api.oauth.models import Consent, Grant, Token
from api.users.models import User
from api.v1.me.services import own_user


def _live_grants(user: User, client_id: str | None = None) -> list[Grant]:
    statement = (select(Grant).join(Client, Client.id == Grant.client_id)
                 .where(Grant.user_id == user.id, Grant.revoked_at.is_(None),
                        Grant.expires_at > utcnow(), Client.is_first_party.is_(False)))
    if client_id is not None:
        statement = statement.where(Client.client_id == client_id)
    return list(db.session.scalars(statement))


def _consents(user: User, client_id: str | None = None) -> list[tuple[Consent, Client]]:
    statement = (select(Consent, Client).join(Client, Client.id == Consent.client_id)
                 .where(Consent.user_id == user.id, Client.is_first_party.is_(False)))
    if client_id is not None:
        statement = statement.where(Client.client_id == client_id)
    return [(consent, client) for consent, client in db.session.execute(statement)]


def _last_used(user: User) -> dict:
    """Client row id → when a token was last issued to it for ``user`` (or refreshed)."""
    return dict(db.session.execute(
        select(Grant.client_id, func.max(Token.issued_at)).join(Token, Token.grant_id == Grant.id)
        .where(Grant.user_id == user.id).group_by(Grant.client_id)).all())


def applications(caller: Caller) -> list[dict]:
    """Every application the caller allowed, by name: its scopes (of the consent and the
    live grants), granted at (the consent, else the first live grant), last used."""
    user = own_user(caller, write=False)
    found: dict = {}

    def entry(client: Client, scope: str, since: datetime) -> None:
        item = found.setdefault(client.id, {
            "client_id": client.client_id, "client_name": client.client_name,
            "client_uri": client.client_uri, "scopes": [], "granted_at": since})
        item["scopes"] += [s for s in scope.split() if s not in item["scopes"]]
        item["granted_at"] = min(item["granted_at"], since)

    for consent, client in _consents(user):
        entry(client, consent.scope, consent.created_at)
    for grant in _live_grants(user):
        entry(grant.client, grant.scope, grant.created_at)
    last_used = _last_used(user)
    listed = [{**item, "scope": " ".join(item.pop("scopes")),
               "last_used_at": last_used.get(client_row_id)}
              for client_row_id, item in found.items()]
    return sorted(listed, key=lambda item: (item["client_name"].lower(), item["client_id"]))


def revoke(caller: Caller, client_id: str) -> None:
    """Revoke every live grant of the caller to the application ``client_id`` and forget the
    consent; an application the caller never allowed (or another tenant's) is not found."""
    user = own_user(caller, write=False)
    grants, consents = _live_grants(user, client_id), _consents(user, client_id)
    if not grants and not consents:
        raise NotFound("No such application among those you allowed.")
    client = consents[0][1] if consents else grants[0].client
    for grant in grants:
        tokens.revoke_grant(grant, caller.actor, "application's access revoked by its user")
    for consent, _client in consents:
        db.session.delete(consent)
    audit.record("application.revoked", caller.actor, client, client_id=client.client_id,
                 grants=len(grants), consent_forgotten=bool(consents))
    db.session.commit()
