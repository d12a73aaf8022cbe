"""``/initial-access-tokens`` use cases, within the write policy of :mod:`api.access.policy`.

A token lets its bearer register clients up to the tenant's registration policy, so it
holds what such a client may hold (the policy's permission scopes): only a caller who
holds all of them may create or revoke one.
"""
from __future__ import annotations

import uuid

from api.access import policy
from api.access.caller import Caller
from api.clients import services as clients
from api.clients.models import InitialAccessToken
from api.tenancy.context import current_tenant


def _holds() -> frozenset[str]:
    return policy.client_holds(current_tenant().registration_policy["scope"])


def create(caller: Caller, description: str, max_uses: int | None,
           expires_in: int) -> tuple[InitialAccessToken, str]:
    policy.check_can_grant(caller, _holds(), "an initial access token")
    return clients.create_initial_access_token(description, max_uses, expires_in, caller.actor)


def revoke(caller: Caller, token_id: uuid.UUID) -> None:
    policy.check_can_change(caller, _holds(), "an initial access token")
    clients.revoke_initial_access_token(token_id, caller.actor)
