"""Recording security events. Services call :func:`record`; routes never do.

An event normally commits with the use case it belongs to. A refusal is
different: the request rolls back, but the refusal must stay on record, so it
goes through :func:`record_now`, which writes in a transaction of its own.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy import Select, insert, or_, select

from api.audit.models import AuditEvent
from api.db import current_scope, independent_transaction, utcnow, uuid7
from api.extensions import db

SUCCESS = "success"
FAILURE = "failure"
DENIED = "denied"
#: An actor's label is what they claimed to be (any length): it is kept to the column's size.
LABEL_LENGTH = AuditEvent.actor.type.length


@dataclass(frozen=True)
class Actor:
    """Who acted: a user, a client (its service account), the operator, or nobody known."""

    type: str
    id: uuid.UUID | None = None
    label: str = ""

    @classmethod
    def of_user(cls, user) -> Actor:
        return cls("user", user.id, user.email)

    @classmethod
    def of_client(cls, client) -> Actor:
        """A client acting as its own service account."""
        return cls("client", client.id, client.client_id)

    @classmethod
    def anonymous(cls, label: str = "") -> Actor:
        """Somebody not signed in; ``label`` is what they claimed to be (an email)."""
        return cls("anonymous", label=label)


OPERATOR = Actor("operator", label="cli")


@dataclass(frozen=True)
class Target:
    """A target named by its table and id, for an event about a row written without the
    ORM (:func:`insert_statement`)."""

    __tablename__: str
    id: uuid.UUID


def record(action: str, actor: Actor, target=None, *, tenant_id: uuid.UUID | None = None,
           outcome: str = SUCCESS, **details) -> AuditEvent:
    """Add an audit event to the session; it commits with the use case it belongs to.

    ``target`` is any model instance with an ``id`` (its table name is the
    target type), or None.
    """
    event = AuditEvent(**_values(action, actor, target, outcome, details))
    if tenant_id is not None:
        event.tenant_id = tenant_id
    db.session.add(event)
    return event


def record_now(action: str, actor: Actor, target=None, *, tenant_id: uuid.UUID | None = None,
               outcome: str = DENIED, **details) -> None:
    """Record an event that must survive the request's rollback (a refusal, a failed sign-in).

    It is written and committed in its own transaction
    (:func:`api.db.independent_transaction`), in the given tenant or the session's.
    """
    values = _values(action, actor, target, outcome, details)
    values["tenant_id"] = tenant_id or current_scope(db.session)
    with independent_transaction(db.session, values["tenant_id"]) as connection:
        connection.execute(insert(AuditEvent).values(**values))


#: An event's columns, each bound to the parameter ``event_{name}``, and its INSERT, built
#: once: :func:`insert_parameters` fills them.
VALUES = {column.name: sa.bindparam(f"event_{column.name}", type_=column.type)
          for column in AuditEvent.__table__.columns}
INSERT = insert(AuditEvent.__table__).values(VALUES)


def insert_parameters(action: str, actor: Actor, target, tenant_id: uuid.UUID,
                      **details) -> dict:
    """The parameters of :data:`INSERT` (and :data:`VALUES`) for an event, for a use case that
    writes its rows with SQL statements of its own (:mod:`api.oauth.tokens`): the caller
    executes it in its transaction, so the event commits (or rolls back) with the use case
    as an event :func:`record` adds does."""
    values = dict(id=uuid7(), tenant_id=tenant_id, created_at=utcnow(), ip=None,
                  user_agent=None, request_id=None)
    values.update(_values(action, actor, target, SUCCESS, details))
    return {f"event_{name}": value for name, value in values.items()}


def _values(action: str, actor: Actor, target, outcome: str, details: dict) -> dict:
    return dict(actor_type=actor.type, actor_id=actor.id, actor=actor.label[:LABEL_LENGTH],
                action=action,
                target_type=getattr(target, "__tablename__", None),
                target_id=str(target.id) if target is not None else None,
                target_label=target_label(target),
                outcome=outcome, details=details, **_request_metadata())


#: The attribute that names a target, by kind (users by email, clients and roles by name).
LABELS = ("email", "client_name", "slug", "name")


def target_label(target) -> str | None:
    """What people call ``target``: its email or name, kept with the event."""
    for attribute in LABELS:
        value = getattr(target, attribute, None)
        if isinstance(value, str) and value:
            return value[:320]
    return None


def _request_metadata() -> dict:
    if not has_request_context():
        return {}
    return {
        "ip": request.remote_addr,
        "user_agent": (request.user_agent.string or "")[:512] or None,
        "request_id": g.get("request_id"),
    }


def list_events(actor: str | None = None, action: list[str] | None = None,
                target: str | None = None, outcome: str | None = None,
                since: datetime | None = None, until: datetime | None = None) -> Select:
    """Newest first. ``actor`` and ``target`` match the label or id; ``action`` is a list,
    each exact or ``prefix.*``."""
    statement = select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id)
    if actor:
        statement = statement.where(or_(AuditEvent.actor == actor,
                                        sa.cast(AuditEvent.actor_id, sa.String) == actor))
    if target:
        statement = statement.where(or_(AuditEvent.target_label == target,
                                        AuditEvent.target_id == target))
    if action:
        statement = statement.where(or_(*(
            AuditEvent.action.startswith(name[:-1], autoescape=True) if name.endswith("*")
            else AuditEvent.action == name for name in action)))
    if outcome:
        statement = statement.where(AuditEvent.outcome == outcome)
    if since:
        statement = statement.where(AuditEvent.created_at >= since)
    if until:
        statement = statement.where(AuditEvent.created_at < until)
    return statement
