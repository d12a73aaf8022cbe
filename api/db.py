"""Database foundations: the declarative base, portable column types, and tenant scoping.

Tenant scoping is the one mechanism that keeps tenants apart. Every model that
mixes in :class:`TenantScoped` is filtered by the session's tenant scope on every
ORM SELECT, UPDATE and DELETE (``with_loader_criteria``), and every new row is
stamped with (or checked against) the scoped tenant on flush. A session with no
scope refuses to touch tenant-owned tables at all, so a forgotten filter fails
loudly instead of leaking another tenant's rows. Code that truly spans tenants
(operator CLI housekeeping) says so with :func:`unscoped`.

On PostgreSQL the database enforces the same scope a second time, with row-level
security (:mod:`api.rls` has the policies): every statement runs with the
transaction-local settings ``app.tenant_id`` (the session's tenant) and
``app.all_tenants`` (``on`` in an :func:`unscoped` block, which only the migration
role may use), so raw SQL or a bug in the ORM mechanism sees and touches nothing of
another tenant. The settings follow the session's scope statement by statement:
before each statement the connection compares what its transaction has set with
what the scope asks for, and when they differ the ``SET LOCAL`` goes in front of the
statement, in the same round trip (a transaction that stays in one tenant pays one
``SET LOCAL``, and one that touches no tenant nothing). A refresh of an expired
object, or a lazy load from one, runs in that object's own tenant, as the ORM
criteria let those loads through wherever the object was loaded.

Transactions are the use case's: a service commits once. The one exception is
:func:`independent_transaction`, for the few writes that must outlive the
request's own transaction (throttle counters, the audit records of refusals).
A request that only reads says so (:func:`read_only`): on PostgreSQL its statements then
run in autocommit, each in the implicit transaction of its own message with the
``SET LOCAL`` in front, so it pays no BEGIN and no ROLLBACK round trip; a write through
such a session is refused.
"""
from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from functools import lru_cache

import sqlalchemy as sa
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, inspect
from sqlalchemy.orm import (DeclarativeBase, InstanceState, Mapped, ORMExecuteState, Session,
                            mapped_column, registry, with_loader_criteria)
from sqlalchemy.pool import Pool
from sqlalchemy.sql.util import find_tables

_SCOPE_KEY = "tenant_scope"
_UNSCOPED = object()
#: InstanceState.info: the tenant a tenant-owned object belongs to (survives expiry).
_OWNER_KEY = "tenant"
#: Execution option: run this statement in that tenant (loads on behalf of an object).
_ROW_TENANT = "tessera_row_tenant"
#: Connection.info keys: where statements take their scope from (a dict holding
#: ``_SCOPE_KEY``: the session's info, or a fixed one), and what the transaction has set
#: (None: unknown, after a rollback to a savepoint).
_SOURCE, _APPLIED = "tessera_scope_source", "tessera_tenant_applied"
#: (app.tenant_id, app.all_tenants): what a transaction starts with, and means "no tenant".
_NO_TENANT = ("", "")
#: Statements that must run alone (a failed transaction accepts nothing else).
_TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE", "COMMIT", "BEGIN")
#: Session.info: the session only reads (:func:`read_only`); _AUTOCOMMIT as its value: its
#: transactions on an engine run in autocommit. Connection.info: this checkout runs so.
_READ_ONLY, _AUTOCOMMIT = "tessera_read_only", "tessera_autocommit"
#: Execution options of :func:`select_rows` (the ORM's own for its statements' results).
_BY_NAME = {"_result_disable_adapt_to_context": True}


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use api.db.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class Base(DeclarativeBase):
    """Declarative base of every Tessera model."""

    registry = registry(
        type_annotation_map={datetime: UTCDateTime, dict: sa.JSON, list: sa.JSON},
        metadata=sa.MetaData(naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }))


class UUIDPrimaryKey:
    """A random UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


def uuid7() -> uuid.UUID:
    """A UUID version 7 (RFC 9562 §5.7): Unix milliseconds in its first 48 bits, 74 random
    bits after. Rows written at a high rate keyed by one (grants, tokens) go to the end of
    their primary-key index and of the indexes that point at them, instead of to a random
    page of each: on a large table that is a page read and written (and a full-page image
    in the WAL after each checkpoint) saved per index and row."""
    milliseconds = time.time_ns() // 1_000_000 & (1 << 48) - 1
    random = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 + 62 of them are used
    return uuid.UUID(int=milliseconds << 80 | 0x7 << 76 | (random >> 68) << 64
                     | 0b10 << 62 | random & (1 << 62) - 1)


class TimeOrderedPrimaryKey:
    """A UUID version 7 primary key (:func:`uuid7`), for rows written at a high rate."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid7)


class Timestamped:
    """``created_at`` / ``updated_at``, maintained by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def tenant_fk(index: bool = True) -> Mapped[uuid.UUID]:
    """A tenant-owned table's ``tenant_id``; ``index=False`` where a plain index on it would
    offer the planner a scan of the tenant's rows instead of a lookup by key (migration 0016):
    the table is read by its keys only, or a unique index led by ``tenant_id`` and its lookup
    key (``__table_args__``) stands in."""
    return mapped_column(sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=index)


class TenantScoped:
    """Mixin for every tenant-owned model; see the module docstring."""

    tenant_id: Mapped[uuid.UUID] = tenant_fk()


@event.listens_for(sa.Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite (the embedded default): enforce foreign keys, let processes share the file.

    pysqlite's own transaction handling is switched off so that SQLAlchemy
    emits BEGIN itself (see ``_begin_sqlite``): reads then run inside the
    transaction and SAVEPOINTs work, as on PostgreSQL. Transactions begin
    IMMEDIATE, taking the write lock up front: SQLite serialises writers
    anyway, and a deferred transaction that reads, then writes after another
    process committed, would fail with "database is locked" instead of waiting.
    """
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    for pragma in ("foreign_keys = ON", "journal_mode = WAL", "busy_timeout = 5000"):
        dbapi_connection.execute(f"PRAGMA {pragma}")


@event.listens_for(sa.Engine, "begin")
def _begin_sqlite(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class TenantScopeError(RuntimeError):
    """A tenant-owned table was touched outside any tenant scope, or across tenants."""


class ScopedSession(FlaskSession):
    """Flask-SQLAlchemy's session, which also honours an explicit ``bind``.

    That lets the test suite join every session into an outer transaction
    (SQLAlchemy's "joining a session into an external transaction" recipe).
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def set_tenant_scope(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope every later query of ``session`` to one tenant."""
    session.info[_SCOPE_KEY] = tenant_id


def current_scope(session: Session) -> uuid.UUID | None:
    """The tenant the session is scoped to, or None (unscoped or not yet scoped)."""
    scope = session.info.get(_SCOPE_KEY)
    return scope if isinstance(scope, uuid.UUID) else None


@contextmanager
def tenant_scope(session: Session, tenant_id: uuid.UUID) -> Iterator[None]:
    """Scope ``session`` to ``tenant_id`` for the duration of the block."""
    previous = session.info.get(_SCOPE_KEY)
    session.info[_SCOPE_KEY] = tenant_id
    try:
        yield
    finally:
        _restore(session, previous)


@contextmanager
def unscoped(session: Session) -> Iterator[None]:
    """Let the block see every tenant's rows; for operator-level code only."""
    previous = session.info.get(_SCOPE_KEY)
    session.info[_SCOPE_KEY] = _UNSCOPED
    try:
        yield
    finally:
        _restore(session, previous)


class ReadOnlyError(RuntimeError):
    """A write through a session that :func:`read_only` said only reads."""


def read_only(session: Session) -> None:
    """From here on ``session`` only reads (see the module docstring); on PostgreSQL (with
    psycopg2, which sends the ``SET LOCAL`` and the statement in one message) each
    transaction it begins on its engine runs in autocommit (one it already holds, the
    tenant's lookup when the tenant was not cached, goes on as it began).

    Autocommit is psycopg2's own switch, turned on when the session's transaction begins and
    off when the connection returns to the pool, both without a message to the server;
    SQLAlchemy's ``isolation_level`` option would restore the isolation level on the way
    back with a ``SET`` (a round trip per request)."""
    bind = session.get_bind()
    autocommit = isinstance(bind, sa.Engine) and bind.dialect.driver == "psycopg2"
    session.info[_READ_ONLY] = _AUTOCOMMIT if autocommit else True


def read_only_ends(session: Session) -> None:
    """Undo :func:`read_only` (its request is over; a test may go on with the session)."""
    session.info.pop(_READ_ONLY, None)


def _restore(session: Session, previous) -> None:
    if previous is None:
        session.info.pop(_SCOPE_KEY, None)
    else:
        session.info[_SCOPE_KEY] = previous


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    """Whether the statement involves a tenant-owned entity or table (and so gets the criteria).

    Tables count too: ``select(func.count(User.id))`` names no entity, but its
    FROM is still the tenant-owned table, which the criteria then filter.
    """
    first = state.bind_mapper  # the statement's first entity: at hand, and usually enough
    if first is not None and issubclass(first.class_, TenantScoped) or any(
            issubclass(mapper.class_, TenantScoped) for mapper in state.all_mappers):
        return True
    return _names_tenant_tables(state.statement)


def _names_tenant_tables(statement: sa.Executable) -> bool:
    tables = find_tables(statement, include_joins=True, include_aliases=True,
                         include_selects=True, include_crud=True)
    return any(getattr(table, "name", None) in _tenant_table_names() for table in tables)


@lru_cache(maxsize=1)
def _tenant_table_names() -> frozenset[str]:
    return frozenset(mapper.local_table.name for mapper in Base.registry.mappers
                     if issubclass(mapper.class_, TenantScoped))


def _in_scope(statement: sa.Executable, scope) -> sa.Executable:
    """``statement`` held to ``scope``'s tenant (a tenant id; None, no scope, refuses)."""
    if scope is None:
        raise TenantScopeError("query on tenant-owned tables outside a tenant scope")
    return statement.options(with_loader_criteria(
        TenantScoped, lambda cls: cls.tenant_id == scope, include_aliases=True))


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        _load_in_owners_tenant(state)
        return  # the parent row was loaded in scope; its criteria propagate
    if state.session.info.get(_READ_ONLY) and (state.is_update or state.is_delete
                                               or state.is_insert):
        raise ReadOnlyError("a write in a request that only reads")
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = state.session.info.get(_SCOPE_KEY)
    if scope is _UNSCOPED or not _touches_tenant_tables(state):
        return
    state.statement = _in_scope(state.statement, scope)


def select_rows(session: Session, statement: sa.Select) -> list[sa.Row]:
    """The rows of ``statement``, a select of columns (no entity to load), read on the
    session's connection without the ORM's execution around it (its events and result
    processing: about a millisecond of CPU). The tenant scope holds as on any statement of
    the session: ``statement`` gets the same criteria first (a tenant's applies to the
    tenant-owned entities it names, and to nothing else), and the connection runs it with
    the session's row-level-security settings. Its rows are read by position or by name
    (SQLAlchemy skips matching a cached statement's column objects to this one's, as the
    ORM does)."""
    scope = session.info.get(_SCOPE_KEY)
    if scope is not _UNSCOPED and (scope is not None or _names_tenant_tables(statement)):
        statement = _in_scope(statement, scope)
    return session.connection().execute(statement, execution_options=_BY_NAME).all()


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context, instances) -> None:
    if session.info.get(_READ_ONLY) and (session.new or session.deleted or any(
            session.is_modified(obj) for obj in session.dirty)):
        raise ReadOnlyError("a write in a request that only reads")
    scope = session.info.get(_SCOPE_KEY)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if scope is _UNSCOPED:
            if obj.tenant_id is None:
                raise TenantScopeError(f"new {type(obj).__name__} has no tenant")
        elif scope is None:
            raise TenantScopeError(f"new {type(obj).__name__} outside a tenant scope")
        elif obj.tenant_id is None:
            obj.tenant_id = scope
        elif obj.tenant_id != scope:
            raise TenantScopeError(f"new {type(obj).__name__} belongs to another tenant")
        inspect(obj).info[_OWNER_KEY] = obj.tenant_id  # see _remember_owner


@contextmanager
def independent_transaction(session: Session, tenant_id: uuid.UUID | None = None,
                            autocommit: bool = False) -> Iterator[sa.Connection]:
    """A transaction of its own, committed at the end of the block whatever the request does.

    On PostgreSQL it runs on a separate connection, so it neither waits for nor holds
    the request's locks, and survives the request's rollback; its statements run in
    ``tenant_id``, or else in the session's scope. With ``autocommit`` each statement
    there is a transaction of its own (no BEGIN or COMMIT round trip): for a block of one
    statement, which may carry its own ``SET LOCAL`` in the same message. SQLite has a single
    writer (and the test suite joins every session into one outer transaction), so
    there the block runs in a savepoint of the session's transaction (an error in it undoes
    the block alone) and the session is committed after it: call it before the use case has
    changed anything.
    """
    bind = session.get_bind()
    if isinstance(bind, sa.Engine) and bind.dialect.name == "postgresql":
        with bind.begin() as connection:
            connection.info[_SOURCE] = {_SCOPE_KEY: tenant_id or session.info.get(_SCOPE_KEY)}
            if autocommit:
                _autocommit_begins(connection)
            yield connection
    else:
        with tenant_scope(session, tenant_id) if tenant_id else nullcontext(), \
                session.begin_nested():
            yield session.connection()
        session.commit()


# Row-level security on PostgreSQL: each statement runs with the settings its scope asks for.

def _settings(scope) -> tuple[str, str]:
    """``(app.tenant_id, app.all_tenants)`` for a scope."""
    if isinstance(scope, uuid.UUID):
        return str(scope), ""
    return ("", "on") if scope is _UNSCOPED else _NO_TENANT


@event.listens_for(Session, "loaded_as_persistent")
@event.listens_for(Session, "detached_to_persistent")
def _remember_owner(session: Session, obj) -> None:
    """Note each loaded tenant-owned object's tenant where expiry cannot clear it (also of
    one read outside the session and attached to it, :mod:`api.clients.lookup`)."""
    if isinstance(obj, TenantScoped):
        inspect(obj).info[_OWNER_KEY] = obj.__dict__.get("tenant_id")


def _load_in_owners_tenant(state: ORMExecuteState) -> None:
    """Refresh an object, or lazy-load from it, in the tenant the object belongs to."""
    owner: InstanceState | None = state.lazy_loaded_from or getattr(
        state.load_options, "_refresh_state", None)  # the object being refreshed
    tenant = owner.info.get(_OWNER_KEY) if owner is not None else None
    if tenant is not None:
        state.update_execution_options(**{_ROW_TENANT: tenant})


@event.listens_for(Session, "after_begin")
def _follow_session_scope(session: Session, transaction, connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.info[_SOURCE] = session.info
    if session.info.get(_READ_ONLY) == _AUTOCOMMIT and not connection.info.get(_AUTOCOMMIT):
        _autocommit_begins(connection)


def _autocommit_begins(connection: sa.Connection) -> None:
    """From now until the pool has it back, ``connection`` (psycopg2's, in a transaction that
    has sent nothing yet) runs each statement in autocommit."""
    connection.connection.dbapi_connection.autocommit = True
    connection.info[_AUTOCOMMIT] = True


@event.listens_for(Pool, "checkin")
def _autocommit_ends(dbapi_connection, connection_record) -> None:
    """Return a connection put in autocommit (:func:`_autocommit_begins`) as the pool gave it."""
    if connection_record.info.pop(_AUTOCOMMIT, None) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


@event.listens_for(sa.Engine, "begin")
def _transaction_starts_with_no_tenant(connection: sa.Connection) -> None:
    connection.info[_SOURCE], connection.info[_APPLIED] = None, _NO_TENANT


@event.listens_for(sa.Engine, "rollback_savepoint")
def _settings_roll_back_too(connection: sa.Connection, name: str, context) -> None:
    connection.info[_APPLIED] = None


@event.listens_for(sa.Engine, "before_cursor_execute", retval=True)
def _apply_settings(connection: sa.Connection, cursor, statement: str, parameters, context,
                    executemany: bool):
    """Put ``SET LOCAL`` in front of the statement when the scope asks for other settings."""
    info = connection.info
    source = info.get(_SOURCE)
    if source is None:
        return statement, parameters
    options = context.execution_options
    wanted = _settings(options.get(_ROW_TENANT) or source.get(_SCOPE_KEY))
    autocommit = info.get(_AUTOCOMMIT, False)
    applied = _NO_TENANT if autocommit else info[_APPLIED]  # autocommit: each its own
    if wanted == applied or statement.startswith(_TRANSACTION_CONTROL):
        return statement, parameters
    if not autocommit:
        info[_APPLIED] = wanted
    sets = "".join(f"SET LOCAL app.{name} = '{value}'; " for name, value, before in zip(
        ("tenant_id", "all_tenants"), wanted, applied or ("?", "?")) if value != before)
    if executemany or connection.dialect.driver != "psycopg2":
        cursor.execute(sets)  # only psycopg2 sends several statements in one go
        return statement, parameters
    return sets + statement, parameters
