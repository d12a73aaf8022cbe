"""Finding the client a protocol request names (by its ``client_id``), as the endpoints that
authenticate clients do on every request: token, introspection, revocation, ...

The row is read with one prepared statement (:mod:`api.prepared`: one round trip, outside
the request's transaction, no ORM query), filtered by the tenant explicitly, with
row-level security on top, and read again on every request: nothing of a client is kept
between requests, so a deleted client or a rotated secret counts at once on every process.
An endpoint that reads something else on every request too can read it in the same
statement (:func:`lookup_with`: the token endpoint reads the key that signs, and for a refresh
the refresh token).

From the row the lookup makes the :class:`~api.clients.models.Client` that Authlib and
Tessera's grants use, attached to the request's session as if the session had loaded it
(persistent, its tenant remembered): an endpoint that changes it, or reads it after a
commit, gets what an ORM query would have given. An endpoint that only reads it may take it
detached instead, with every column loaded, and spare the session the bookkeeping.
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached

from api.clients.models import Client
from api.extensions import db
from api.prepared import PreparedRead

_COLUMNS = tuple(Client.__table__.columns)
#: The mapped attribute of each column, in the statement's order.
_KEYS = tuple(Client.__mapper__.get_property_by_column(column).key for column in _COLUMNS)
#: Columns the driver returns as strings when read outside SQLAlchemy (psycopg2's UUIDs).
_UUIDS = frozenset(key for key, column in zip(_KEYS, _COLUMNS)
                   if isinstance(column.type, sa.Uuid))

_WHERE = (Client.client_id == bindparam("client_id"),
          Client.tenant_id == bindparam("tenant", type_=sa.Uuid))
LOOKUP = PreparedRead("tessera_client", select(*_COLUMNS).where(*_WHERE))


def lookup_with(name: str, *also: sa.Select, portable: tuple[sa.Select, ...] = ()
                ) -> PreparedRead:
    """A lookup that reads each of ``also`` with the client, in the same statement: a
    ``LATERAL`` subquery of at most one row (its columns null when it finds none), which may
    use the ``:tenant`` parameter. For a request that needs them all, one round trip. SQLite,
    which has no ``LATERAL``, reads each of their columns as a scalar subquery (of
    ``portable``, their forms without PostgreSQL's own syntax, where they have one)."""
    joined, clients = [select_.lateral() for select_ in also], Client.__table__
    for lateral in joined:
        clients = clients.outerjoin(lateral, sa.true())
    return PreparedRead(name, select(
        *_COLUMNS, *(column for lateral in joined for column in lateral.c)
    ).select_from(clients).where(*_WHERE), portable=select(*_COLUMNS, *(
        select_.with_only_columns(column).scalar_subquery()
        for select_ in portable or also for column in select_.selected_columns)).where(*_WHERE))


def find(tenant_id: uuid.UUID, client_id: str) -> Client | None:
    """The tenant's client ``client_id``, attached to the session; None if there is none."""
    return find_with(LOOKUP, tenant_id, client_id)[0]


def find_with(read: PreparedRead, tenant_id: uuid.UUID, client_id: str, *,
              attached: bool = True, **params) -> tuple[Client | None, tuple]:
    """:func:`find` with a lookup of :func:`lookup_with` (``params`` are its subquery's):
    the client and the columns read with it (empty when there is no client). Not
    ``attached``, for a request that only reads the client (introspection): the client is
    detached, every column loaded, and the session has nothing of it to track."""
    row = read.first(db.session, tenant_id, client_id=client_id, **params)
    if row is None:
        return None, ()
    values = {key: uuid.UUID(value) if key in _UUIDS and isinstance(value, str) else value
              for key, value in zip(_KEYS, row)}
    return (_attached if attached else _detached)(values), tuple(row[len(_KEYS):])


def _attached(values: dict) -> Client:
    """The session's own object for this row if it has one (as an ORM query returns it),
    else a new persistent one holding ``values`` as loaded state."""
    session = db.session()
    existing = session.identity_map.get(session.identity_key(Client, values["id"]))
    if existing is not None:
        return existing
    client = _detached(values)
    session.add(client)  # detached -> persistent: api.db remembers its tenant
    return client


def _detached(values: dict) -> Client:
    """A detached client holding ``values`` as loaded state (as if a session had loaded it
    and closed)."""
    client = Client.__mapper__.class_manager.new_instance()
    client.__dict__.update(values)
    make_transient_to_detached(client)
    return client
