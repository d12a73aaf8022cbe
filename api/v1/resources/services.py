"""``/resources`` use cases, within the write policy of :mod:`api.access.policy`, on top of
:mod:`api.resources.services`.

An API holds the permission scopes it accepts (``policy.resource_holds``): tokens for it
may carry them. Every write to an existing API starts with :func:`writable_resource`.
The tenant's REST API (``{issuer}/api/v1``) is built in: it is not stored, cannot be
registered again, and accepts the permission scopes.
"""
from __future__ import annotations

import uuid

from api.access import policy
from api.access.caller import Caller
from api.oauth import targets
from api.resources import services as resources
from api.resources.models import Resource


def _check_scope_ceiling(caller: Caller, scope: str) -> None:
    """The write policy on what an API would hold: the scopes it accepts after the write."""
    policy.check_can_grant(caller, policy.resource_holds(scope), "an API's scopes")


def writable_resource(caller: Caller, resource_id: uuid.UUID) -> Resource:
    """The API ``resource_id`` once the write policy lets the caller change it."""
    resource = resources.get_resource(resource_id)
    policy.check_can_change(caller, policy.resource_holds(resource.scope),
                            f"API {resource.name!r}", resource)
    return resource


def create_resource(caller: Caller, identifier: str, name: str, scope: str) -> Resource:
    _check_scope_ceiling(caller, scope)
    return resources.create_resource(identifier, name, scope, {targets.api_identifier()},
                                     caller.actor)


def update_resource(caller: Caller, resource_id: uuid.UUID, changes: dict) -> Resource:
    resource = writable_resource(caller, resource_id)
    _check_scope_ceiling(caller, changes.get("scope", resource.scope))
    return resources.update_resource(resource, changes, {targets.api_identifier()},
                                     caller.actor)


def delete_resource(caller: Caller, resource_id: uuid.UUID) -> None:
    resources.delete_resource(writable_resource(caller, resource_id), caller.actor)
