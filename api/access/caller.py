"""Who is calling the tenant API, and what they may do.

A user's token carries the user's permissions narrowed by its scopes; a
client_credentials token acts as the client's service account with the scopes
it was granted. Every refusal is audited before the 403 goes out.

The caller is a snapshot of plain values (:class:`~api.oauth.bearer.Bearer`, read by the
bearer check's one query), not ORM objects: a use case that changes the caller's user
loads that user itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from api import audit
from api.errors import Forbidden
from api.oauth.bearer import Bearer, BearerClient, BearerUser
from api.rbac.permissions import ALL


@dataclass(frozen=True)
class Caller:
    """The bearer of the request's access token."""

    token: Bearer
    permissions: frozenset[str]

    @property
    def client(self) -> BearerClient:
        return self.token.client

    @property
    def user(self) -> BearerUser | None:
        return self.token.user

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor.of_user(self.user) if self.user else audit.Actor.of_client(self.client)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def caller_for(token: Bearer) -> Caller:
    """The user or client behind a validated token, with what the token lets them do."""
    scopes = frozenset(token.scope.split())
    return Caller(token, scopes & (token.user.permissions if token.user else frozenset(ALL)))


def deny(caller: Caller, detail: str, target=None, **details) -> Forbidden:
    """Audit a refused attempt (it outlives the request's rollback), on ``target`` when there
    is one; the error to raise."""
    audit.record_now("permission.denied", caller.actor, target, method=request.method,
                     path=request.path, **details)
    return Forbidden(detail)
