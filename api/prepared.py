"""Hot statements as server-side prepared statements, in one round trip, outside the session.

A :class:`PreparedRead` is a SQLAlchemy Core ``select`` that a request runs on every call
(the bearer check of :mod:`api.oauth.bearer`); a :class:`PreparedPage`, one that lists a page
with the count of every row (the projects of :mod:`api.v1.projects.services`, one statement
per combination of filters); a :class:`PreparedWrite` is a Core write that
is a use case's only one (a client_credentials issuance, a refresh's rotation,
:mod:`api.oauth.tokens`). On
PostgreSQL (psycopg2) either runs on a connection of its own from the engine's pool,
returned as soon as it is done: the statement is ``PREPARE``\\ d once per connection and
then only ``EXECUTE``\\ d (PostgreSQL plans it once, SQLAlchemy compiles it once per
process), in autocommit, with the tenant's row-level-security setting in the same message
(``set_config(..., true)`` is local to the implicit transaction of that one message). So it
costs one round trip: no BEGIN, no ROLLBACK or COMMIT, no ORM. A write commits with its
message, as durably as any commit (synchronous commit, the server's setting, applies).

Prepared statements live in the server session, so a pooler in front of PostgreSQL must
give each client connection one server connection for its life (session pooling;
pgbouncer's transaction mode would send ``EXECUTE`` to a server that never saw the
``PREPARE``).

The tenant scope holds on this path too: the statement carries an explicit
``tenant_id = :tenant`` on every tenant-owned table it reads and in every row it writes, and
row-level security applies on top (``app.tenant_id`` is set to the same tenant). Elsewhere
(SQLite, or a session joined to an outer connection, as the test suite's) a read runs
through the session in the tenant's scope, as any other query (on SQLite, its ``portable``
form where the statement uses PostgreSQL's own syntax), and a write is left to the caller's
session (:meth:`PreparedWrite.run_alone` says so).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine.result import result_tuple
from sqlalchemy.orm import Session

from api.db import tenant_scope

#: Pool record info key: the names of the statements prepared on that connection.
_PREPARED = "tessera_prepared"


class PreparedStatement:
    """One Core statement (with a ``:tenant`` parameter), prepared on PostgreSQL."""

    def __init__(self, name: str, statement: sa.Executable):
        self.name = name
        self.statement = statement
        self._prepare: str | None = None
        self._execute: str | None = None
        self._binds: tuple[tuple[str, Callable | None], ...] = ()

    def _prepared_engine(self, session: Session) -> sa.Engine | None:
        """The engine to run on outside the session, or None where the session must run it."""
        bind = session.get_bind()
        return bind if isinstance(bind, sa.Engine) and bind.dialect.driver == "psycopg2" \
            else None

    def _compile(self) -> None:
        dialect = PGDialect_psycopg2(paramstyle="numeric_dollar")
        # literals (rendered after compilation) go into the statement's text; the parameters
        # the caller passes (those without a value yet) stay $n
        statement = self.statement
        if isinstance(statement, sa.Select):
            statement = statement.params({name: None for name, value in statement.compile(
                dialect=dialect).params.items() if value is None})
        compiled = statement.compile(dialect=dialect,
                                     compile_kwargs={"render_postcompile": True})
        # each parameter with what SQLAlchemy would make of its value (JSON serialised,
        # datetimes in UTC), or None
        self._binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup)
        placeholders = ", ".join(["%s"] * len(self._binds))
        self._prepare = f"PREPARE {self.name} AS {compiled.string}".replace("%", "%%")
        self._execute = (f"SELECT set_config('app.tenant_id', %s, true); "
                         f"EXECUTE {self.name}({placeholders})")

    def _values(self, params: dict) -> list:
        """``params`` in the statement's order, as SQLAlchemy would send them."""
        values = [str(params["tenant"])]
        for name, process in self._binds:
            value = params[name] if process is None else process(params[name])
            values.append(str(value) if isinstance(value, uuid.UUID) else value)
        return values

    def _run_prepared(self, engine: sa.Engine, params: dict, fetch: str | None) -> Any:
        """Run it on a pooled connection in autocommit; what the cursor's ``fetch`` method
        (``fetchone``, ``fetchall``) returns, if one is named, else the number of rows it
        wrote (the statement's own, not its CTEs')."""
        if self._execute is None:
            self._compile()
        values = self._values(params)
        connection = engine.raw_connection()
        try:
            prepared = connection.info.setdefault(_PREPARED, set())
            sql = self._execute if self.name in prepared else f"{self._prepare}; {self._execute}"
            dbapi = connection.dbapi_connection
            dbapi.autocommit = True
            try:
                with dbapi.cursor() as cursor:
                    cursor.execute(sql, values)
                    rows = getattr(cursor, fetch)() if fetch else cursor.rowcount
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
            return rows
        finally:
            connection.close()


class PreparedRead(PreparedStatement):
    """One Core ``select`` (with a ``:tenant`` parameter), read one row at a time."""

    def __init__(self, name: str, statement: sa.Select, portable: sa.Select | None = None):
        super().__init__(name, statement)
        #: What runs on other databases (SQLite): the same read, where ``statement`` uses
        #: PostgreSQL's own syntax.
        self.portable = statement if portable is None else portable

    def first(self, session: Session, tenant_id: uuid.UUID, **params: Any) -> sa.Row | tuple | None:
        """The first row for ``params`` in ``tenant_id`` (passed as ``:tenant``), or None."""
        return self._read(session, tenant_id, params, "fetchone", sa.Result.first)

    def all(self, session: Session, tenant_id: uuid.UUID, **params: Any) -> list:
        """Every row for ``params`` in ``tenant_id`` (passed as ``:tenant``)."""
        return self._read(session, tenant_id, params, "fetchall", sa.Result.all)

    def _read(self, session: Session, tenant_id: uuid.UUID, params: dict, fetch: str,
              result: Callable[[sa.Result], Any]) -> Any:
        params["tenant"] = tenant_id
        engine = self._prepared_engine(session)
        if engine is not None:
            return self._run_prepared(engine, params, fetch=fetch)
        statement = self.statement if session.get_bind().dialect.name == "postgresql" \
            else self.portable
        with tenant_scope(session, tenant_id):
            return result(session.execute(statement, params))


class PreparedPage(PreparedRead):
    """A list endpoint's page: a ``select`` (with a ``:tenant`` parameter) that takes
    ``:limit`` and ``:offset`` and whose last column counts every row it would list,
    ``count(*) OVER ()`` (computed before LIMIT)."""

    def __init__(self, name: str, statement: sa.Select, portable: sa.Select | None = None):
        super().__init__(name, statement, portable)
        self._row = result_tuple(statement.selected_columns.keys())

    def page(self, session: Session, tenant_id: uuid.UUID, page: int, per_page: int,
             **params: Any) -> tuple[list[sa.RowMapping], int]:
        """Page ``page`` (of ``per_page`` rows) for ``params`` in ``tenant_id``, its rows as
        mappings by column name, and the count of them all. A page past the end has no row
        to carry the count: there the first row of the first page tells it."""
        rows = self.all(session, tenant_id, limit=per_page, offset=(page - 1) * per_page,
                        **params)
        if not rows and page > 1:
            rows = self.all(session, tenant_id, limit=1, offset=0, **params)
            return [], rows[0][-1] if rows else 0
        return [row._mapping if isinstance(row, sa.Row) else self._row(row)._mapping
                for row in rows], rows[0][-1] if rows else 0


class PreparedWrite(PreparedStatement):
    """One Core write (with a ``:tenant`` parameter) that is a use case's only write."""

    def run_alone(self, session: Session, tenant_id: uuid.UUID, params: dict) -> bool:
        """Write with ``params`` in ``tenant_id`` (passed as ``:tenant``), committed when this
        returns True; False where it cannot run alone (SQLite, a session joined to an outer
        connection): the caller then writes in the session's transaction."""
        return self.rows_alone(session, tenant_id, params) is not None

    def rows_alone(self, session: Session, tenant_id: uuid.UUID, params: dict) -> int | None:
        """As :meth:`run_alone`, the number of rows the statement wrote (for a conditional
        write: whether its condition held), committed; None where it cannot run alone."""
        engine = self._prepared_engine(session)
        if engine is None:
            return None
        return self._run_prepared(engine, dict(params, tenant=tenant_id), fetch=None)
