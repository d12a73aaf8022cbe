"""Who is calling the tenant API, and what they may do.

A user's token carries the user's permissions narrowed by its scopes; a
client_credentials token acts as the client's service account with the scopes
it was granted. Every refusal is audited before the 403 goes out.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from api import audit
from api.clients.models import Client
from api.errors import Forbidden
from api.oauth.models import Token
from api.rbac.permissions import ALL
from api.users.models import User, load_with_permissions


@dataclass(frozen=True)
class Caller:
    """The bearer of the request's access token."""

    token: Token
    client: Client
    user: User | None
    permissions: frozenset[str]

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor.of_user(self.user) if self.user else audit.Actor.of_client(self.client)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def caller_for(token: Token) -> Caller:
    """Resolve the user or client behind a validated token."""
    grant = token.grant
    client = grant.client
    user = load_with_permissions(grant.user_id) if grant.user_id else None
    scopes = frozenset(token.scope.split())
    granted = scopes & (user.permissions if user else frozenset(ALL))
    return Caller(token, client, user, frozenset(granted))


def deny(caller: Caller, detail: str, target=None, **details) -> Forbidden:
    """Audit a refused attempt (it outlives the request's rollback), on ``target`` when there
    is one; the error to raise."""
    audit.record_now("permission.denied", caller.actor, target, method=request.method,
                     path=request.path, **details)
    return Forbidden(detail)
