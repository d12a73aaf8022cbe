"""The tenant's resources: lookup by identifier, the scopes they accept, and their use cases.

The REST API (:mod:`api.v1.resources`) applies the caller's ceilings on top of these.
"""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.errors import Conflict, InvalidInput, NotFound
from api.extensions import db
from api.rbac.permissions import IDENTITY_SCOPES
from api.resources.models import Resource


def find(identifier: str) -> Resource | None:
    """The current tenant's resource with this RFC 8707 identifier."""
    return db.session.scalar(select(Resource).where(Resource.identifier == identifier))


def accepted_scopes() -> frozenset[str]:
    """Every scope some resource of the current tenant accepts."""
    return frozenset(scope for value in db.session.scalars(select(Resource.scope))
                     for scope in value.split())


def list_resources(identifier: str | None = None) -> Select:
    statement = select(Resource).order_by(Resource.name)
    if identifier:
        statement = statement.where(Resource.identifier.icontains(identifier, autoescape=True))
    return statement


def get_resource(resource_id: uuid.UUID) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        raise NotFound("No such resource.")
    return resource


def _check(identifier: str, scope: str, reserved: set[str], resource: Resource | None) -> None:
    if identifier in reserved:
        raise InvalidInput("identifier", "is the tenant's own REST API, which is built in")
    other = find(identifier)
    if other is not None and other is not resource:
        raise Conflict(f"A resource {identifier!r} is already registered.")
    identity = [s for s in scope.split() if s in IDENTITY_SCOPES]
    if identity:
        raise InvalidInput("scope", f"{identity[0]!r} is an OpenID Connect scope, not an API's")


def create_resource(identifier: str, name: str, scope: str, reserved: set[str],
                    actor: audit.Actor) -> Resource:
    """Register an API (``reserved``: identifiers taken by built-in resources); commits."""
    _check(identifier, scope, reserved, None)
    resource = Resource(identifier=identifier, name=name,
                        scope=" ".join(dict.fromkeys(scope.split())))
    db.session.add(resource)
    db.session.flush()
    audit.record("resource.created", actor, resource, identifier=identifier,
                 scope=resource.scope)
    db.session.commit()
    return resource


def update_resource(resource: Resource, changes: dict, reserved: set[str],
                    actor: audit.Actor) -> Resource:
    """Rename, re-point or change the accepted scopes; tokens already issued keep theirs."""
    identifier = changes.get("identifier", resource.identifier)
    scope = changes.get("scope", resource.scope)
    _check(identifier, scope, reserved, resource)
    resource.identifier, resource.name = identifier, changes.get("name", resource.name)
    resource.scope = " ".join(dict.fromkeys(scope.split()))
    audit.record("resource.updated", actor, resource, changed=sorted(changes))
    db.session.commit()
    return resource


def delete_resource(resource: Resource, actor: audit.Actor) -> None:
    """Forget an API: no new tokens for it (those issued live until they expire)."""
    audit.record("resource.deleted", actor, resource, identifier=resource.identifier)
    db.session.delete(resource)
    db.session.commit()
