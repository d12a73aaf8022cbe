"""Hot reads as server-side prepared statements, in one round trip, outside the session.

A :class:`PreparedRead` is a SQLAlchemy Core ``select`` that a request runs on every call
(the bearer check of :mod:`api.oauth.bearer`). On PostgreSQL (psycopg2) it runs on a
connection of its own from the engine's pool, returned as soon as the row is read: the
statement is ``PREPARE``\\ d once per connection and then only ``EXECUTE``\\ d (PostgreSQL
plans it once, SQLAlchemy compiles it once per process), in autocommit, with the tenant's
row-level-security setting in the same message (``set_config(..., true)`` is local to the
implicit transaction of that one message). So the read costs one round trip: no BEGIN, no
ROLLBACK, no ORM.

Prepared statements live in the server session, so a pooler in front of PostgreSQL must
give each client connection one server connection for its life (session pooling;
pgbouncer's transaction mode would send ``EXECUTE`` to a server that never saw the
``PREPARE``).

The tenant scope holds on this path too: the statement carries an explicit
``tenant_id = :tenant`` on every tenant-owned table it reads, and row-level security
applies on top (``app.tenant_id`` is set to the same tenant). Elsewhere (SQLite, or a
session joined to an outer connection, as the test suite's) the statement runs through
the session in the tenant's scope, as any other query (on SQLite, its ``portable`` form
where the statement uses PostgreSQL's own syntax).
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.orm import Session

from api.db import tenant_scope

#: Pool record info key: the names of the statements prepared on that connection.
_PREPARED = "tessera_prepared"


class PreparedRead:
    """One Core ``select`` (with a ``:tenant`` parameter), read one row at a time."""

    def __init__(self, name: str, statement: sa.Select, portable: sa.Select | None = None):
        self.name = name
        self.statement = statement
        #: What runs on other databases (SQLite): the same read, where ``statement`` uses
        #: PostgreSQL's own syntax.
        self.portable = statement if portable is None else portable
        self._prepare: str | None = None
        self._execute: str | None = None
        self._order: tuple[str, ...] = ()

    def first(self, session: Session, tenant_id: uuid.UUID, **params: Any) -> sa.Row | tuple | None:
        """The first row for ``params`` in ``tenant_id`` (passed as ``:tenant``), or None."""
        params["tenant"] = tenant_id
        bind = session.get_bind()
        if isinstance(bind, sa.Engine) and bind.dialect.driver == "psycopg2":
            return self._first_prepared(bind, params)
        statement = self.statement if bind.dialect.name == "postgresql" else self.portable
        with tenant_scope(session, tenant_id):
            return session.execute(statement, params).first()

    def _compile(self) -> None:
        dialect = PGDialect_psycopg2(paramstyle="numeric_dollar")
        # literals (rendered after compilation) go into the statement's text; the parameters
        # the caller passes (those without a value yet) stay $n
        unset = {name: None for name, value in self.statement.compile(dialect=dialect)
                 .params.items() if value is None}
        compiled = self.statement.params(unset).compile(
            dialect=dialect, compile_kwargs={"render_postcompile": True})
        self._order = tuple(compiled.positiontup)
        placeholders = ", ".join(["%s"] * len(self._order))
        self._prepare = f"PREPARE {self.name} AS {compiled.string}".replace("%", "%%")
        self._execute = (f"SELECT set_config('app.tenant_id', %s, true); "
                         f"EXECUTE {self.name}({placeholders})")

    def _first_prepared(self, engine: sa.Engine, params: dict) -> tuple | None:
        if self._execute is None:
            self._compile()
        values = [str(params["tenant"]),
                  *(str(value) if isinstance(value, uuid.UUID) else value
                    for value in (params[name] for name in self._order))]
        connection = engine.raw_connection()
        try:
            prepared = connection.info.setdefault(_PREPARED, set())
            sql = self._execute if self.name in prepared else f"{self._prepare}; {self._execute}"
            dbapi = connection.dbapi_connection
            dbapi.autocommit = True
            try:
                with dbapi.cursor() as cursor:
                    cursor.execute(sql, values)
                    row = cursor.fetchone()
            except engine.dialect.loaded_dbapi.Error as error:
                connection.invalidate()  # whatever it prepared, a new connection starts clean
                # as SQLAlchemy's own (an unreachable database is a 503, api.errors)
                raise sa.exc.DBAPIError.instance(sql, values, error,
                                                 engine.dialect.loaded_dbapi.Error,
                                                 dialect=engine.dialect) from error
            finally:
                if connection.dbapi_connection is not None:
                    dbapi.autocommit = False
            prepared.add(self.name)
            return row
        finally:
            connection.close()
