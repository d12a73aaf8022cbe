"""Enqueueing and delivering outbox messages, with retries and backoff.

Delivery is at-least-once and never inside a request's transaction:

1. :func:`enqueue` adds the row to the use case's session; it commits with it.
2. After the response is sent, the request tries the messages it enqueued
   (:func:`init_app` hooks ``call_on_close``), so the answer's timing does not
   depend on the mail server.
3. The uWSGI mule (:mod:`api.mule`) calls :func:`deliver_due` every few
   seconds; ``flask --app api outbox flush`` delivers everything pending now.

Each delivery *claims* its rows first in a short transaction (``SELECT … FOR
UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer anyway), counting the
attempt and leasing the row for :data:`LEASE`, then sends outside any
transaction, then records the outcome: sent (the sealed payload is wiped and the
audit log records the message by its summary), a retry after the next step of
:data:`BACKOFF`, or failed once the schedule is exhausted. A process that dies
mid-send leaves the lease to expire and another process retries.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Response, current_app, g
from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from api import audit
from api.db import current_scope, tenant_scope, unscoped, utcnow
from api.extensions import db, outbox_sealer
from api.outbox.models import FAILED, PENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

#: Seconds to wait after the n-th failed attempt; the first retry comes within 30 s.
BACKOFF = (10, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: How long a claimed message is left to the process that claimed it.
LEASE = timedelta(seconds=60)
BATCH = 50
SYSTEM = audit.Actor("system", label="outbox")

#: kind -> the function that delivers a payload of that kind (raises when it cannot).
_deliverers: dict[str, Callable[[dict], None]] = {}


def register(kind: str, deliver: Callable[[dict], None]) -> None:
    """Say how messages of ``kind`` are delivered (idempotent)."""
    _deliverers[kind] = deliver


def enqueue(kind: str, payload: dict, summary: dict) -> OutboxMessage:
    """Add a message to the session (the use case commits); it is tried after the request."""
    message = OutboxMessage(id=uuid.uuid4(), kind=kind, summary=summary,
                            payload=outbox_sealer.seal(json.dumps(payload).encode()))
    db.session.add(message)
    g.setdefault("outbox_enqueued", []).append((current_scope(db.session), message.id))
    return message


def init_app(app: Flask) -> None:
    """After each response is sent, try the messages its request enqueued."""
    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        enqueued = g.pop("outbox_enqueued", None)
        if enqueued:
            flask_app = current_app._get_current_object()
            response.call_on_close(lambda: _deliver_in_context(flask_app, enqueued))
        return response


def _deliver_in_context(app: Flask, enqueued: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    with app.app_context():
        try:
            for tenant_id, message_id in enqueued:
                deliver_messages(tenant_id, [message_id])
        except Exception:  # the mule retries; a response already sent must not see this
            log.exception("outbox: delivery after the request failed")
        finally:
            db.session.remove()


def _due(now, include_waiting: bool) -> Select:
    statement = select(OutboxMessage).where(OutboxMessage.status == PENDING)
    if not include_waiting:
        statement = statement.where(OutboxMessage.next_attempt_at <= now)
    return statement.order_by(OutboxMessage.next_attempt_at).limit(BATCH)


def deliver_messages(tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[str, int]:
    """Deliver these pending messages of a tenant now (those another process holds are left
    to it)."""
    with tenant_scope(db.session, tenant_id):
        return _deliver(select(OutboxMessage).where(
            OutboxMessage.id.in_(list(ids)), OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= utcnow()))


def deliver_due(include_waiting: bool = False) -> dict[str, int]:
    """Deliver every message that is due (with ``include_waiting``, those backing off too).

    It goes tenant by tenant, each in its own scope, as row-level security wants: the
    runtime role sees one tenant's rows at a time (:mod:`api.rls`); only the tenants with a
    message due (:func:`_tenants_with_due`).
    """
    totals = {"sent": 0, "retrying": 0, "failed": 0}
    tenant_ids = _tenants_with_due(None if include_waiting else utcnow())
    db.session.commit()
    for tenant_id in tenant_ids:
        with tenant_scope(db.session, tenant_id):
            while True:
                counts = _deliver(_due(utcnow(), include_waiting))
                for outcome, count in counts.items():
                    totals[outcome] += count
                if sum(counts.values()) < BATCH:
                    break
    return totals


def _tenants_with_due(due_by: datetime | None) -> list[uuid.UUID]:
    """The tenants with a pending message due by ``due_by`` (None: at any time). On
    PostgreSQL a function of the schema's owner tells (migration 0019): the runtime role
    cannot read across tenants. Asking every tenant in turn cost the mule a transaction per
    tenant every round, a core's worth of CPU with 10,000 tenants."""
    if db.session.get_bind().dialect.name == "postgresql":
        return list(db.session.scalars(sa.text(
            "SELECT outbox_due_tenants(coalesce(CAST(:due_by AS timestamptz), 'infinity'))"),
            {"due_by": due_by}))
    statement = select(OutboxMessage.tenant_id).distinct().where(
        OutboxMessage.status == PENDING)
    if due_by is not None:
        statement = statement.where(OutboxMessage.next_attempt_at <= due_by)
    with unscoped(db.session):
        return list(db.session.scalars(statement))


def _deliver(statement: Select) -> dict[str, int]:
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for message_id, kind, payload in _claim(statement):
        counts[_attempt(message_id, kind, payload)] += 1
    return counts


def _claim(statement: Select) -> list[tuple[uuid.UUID, str, dict]]:
    """Lease the rows of ``statement`` to this process; what each one is to send."""
    rows = db.session.scalars(statement.with_for_update(skip_locked=True)).all()
    now = utcnow()
    claimed = []
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        claimed.append((row.id, row.kind, json.loads(outbox_sealer.unseal(row.payload))))
    db.session.commit()
    return claimed


def _attempt(message_id: uuid.UUID, kind: str, payload: dict) -> str:
    try:
        _deliverers[kind](payload)
    except Exception as error:  # any failure of the far side is a retry, never lost data
        log.warning("outbox: %s message %s not delivered: %s", kind, message_id, error)
        return _settle(message_id, f"{type(error).__name__}: {error}"[:500])
    return _settle(message_id, None)


def _settle(message_id: uuid.UUID, error: str | None) -> str:
    """Record how an attempt ended; the outcome (``sent``, ``retrying`` or ``failed``)."""
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    now = utcnow()
    if error is None:
        row.status, row.sent_at, row.payload, outcome = SENT, now, None, "sent"
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.payload, outcome = FAILED, None, "failed"
    else:
        row.next_attempt_at = now + timedelta(seconds=BACKOFF[row.attempts - 1])
        outcome = "retrying"
    row.last_error = error
    if outcome != "retrying":
        audit.record(f"{row.kind}.{outcome}", SYSTEM, row,
                     outcome=audit.SUCCESS if outcome == "sent" else audit.FAILURE,
                     attempts=row.attempts, **row.summary)
    db.session.commit()
    return outcome


def purge_delivered(session: Session, older_than: timedelta = timedelta(days=7)) -> int:
    """Delete messages sent or given up more than ``older_than`` ago (the audit log keeps
    them), across tenants: ``session`` is the admin role's (see :mod:`api.oauth.purge`);
    returns how many went."""
    with unscoped(session):
        count = session.execute(delete(OutboxMessage).where(
            OutboxMessage.status.in_((SENT, FAILED)),
            OutboxMessage.created_at <= utcnow() - older_than)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
    return count
