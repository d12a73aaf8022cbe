"""PostgreSQL row-level security: the policies, the two database roles, and the role check.

Tessera connects to PostgreSQL as two roles. ``DATABASE_URL`` is the runtime role the
app serves requests with: neither superuser nor ``BYPASSRLS``, it may read and write
rows and nothing else. ``DATABASE_ADMIN_URL`` (``DATABASE_URL`` when unset) is the
role that owns the schema: migrations and the operator commands that span tenants
(``purge``) use it.

Every tenant-owned table has row-level security enabled and forced (the owner is
subject to it too) with two policies:

- ``tenant_isolation`` (everyone): a row is visible and writable only while the
  transaction's ``app.tenant_id`` is its tenant. With the setting unset, nothing is.
- ``all_tenants`` (only the role that ran the migration): every row, while
  ``app.all_tenants`` is ``on``; :func:`api.db.unscoped` sets it. The runtime role
  never has this policy, so it cannot read across tenants even if it asks.

Association tables without a ``tenant_id`` (``user_roles``, ``role_permissions``)
take writes only for rows whose linked rows are visible; reading their id pairs is open.
:mod:`api.db` sets both settings from the session's tenant scope on every
transaction. ``tenants``, ``permissions`` and ``throttle_counters`` are shared by
every tenant and carry no policy: each request looks its tenant up by slug, the
permission catalogue is global, and per-address throttles span tenants.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.extensions import db

logger = logging.getLogger(__name__)

#: The Flask-SQLAlchemy bind of DATABASE_ADMIN_URL (only when it differs from DATABASE_URL).
ADMIN_BIND = "admin"

_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_ALL_TENANTS = "current_setting('app.all_tenants', true) = 'on'"

#: What DATABASE_URL's role may do to each table; every other table: read and write rows.
RUNTIME_PRIVILEGES = {
    "alembic_version": "SELECT",  # the readiness check
    "audit_events": "SELECT, INSERT",  # append-only
    "permissions": "SELECT, INSERT",  # the catalogue fills in with the first tenant
    "role_permissions": "SELECT, INSERT, DELETE",  # association rows come and go
    "tenants": "SELECT, INSERT, UPDATE",  # a tenant is only ever soft-deleted
    "user_roles": "SELECT, INSERT, DELETE",
}
READ_WRITE = "SELECT, INSERT, UPDATE, DELETE"
#: The functions DATABASE_URL's role may call (each runs as the owner; see its migration).
RUNTIME_FUNCTIONS = ("outbox_due_tenants(timestamptz)",)  # 0019: the mule's tenants

_ROLE_CHECK = """
SELECT r.rolname, r.rolsuper, r.rolbypassrls, EXISTS (
    SELECT FROM pg_policy AS p, unnest(p.polroles) AS granted(role)
    WHERE p.polname = 'all_tenants' AND granted.role <> 0
      AND pg_has_role(r.oid, granted.role, 'USAGE'))
FROM pg_roles AS r WHERE r.rolname = current_user
"""


def protect(table: str, through: Mapping[str, str] | None = None) -> str:
    """SQL putting ``table`` under row-level security (for migrations).

    A table with ``tenant_id`` gets both policies. An association table names its
    foreign keys and the tables they point to in ``through``: a row can be written,
    changed or deleted only when every row it links is visible. Reading one stays
    open (``links_readable``): a pair of ids says nothing while the rows they name are
    hidden, and the check would cost every token check of a user about 0.15 ms of
    planning for its roles and permissions.
    """
    if through:
        linked = " AND ".join(f"EXISTS (SELECT FROM {parent} WHERE {parent}.id = {table}.{key})"
                              for key, parent in through.items())
        policies = [f"CREATE POLICY links_readable ON {table} FOR SELECT USING (true)",
                    f"CREATE POLICY tenant_isolation ON {table} USING ({linked}) "
                    f"WITH CHECK ({linked})"]
    else:
        policies = [f"CREATE POLICY tenant_isolation ON {table} USING (tenant_id = {_TENANT}) "
                    f"WITH CHECK (tenant_id = {_TENANT})",
                    f"CREATE POLICY all_tenants ON {table} TO CURRENT_USER "
                    f"USING ({_ALL_TENANTS}) WITH CHECK ({_ALL_TENANTS})"]
    return ";\n".join([f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
                       f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY", *policies])


def unprotect(table: str) -> str:
    """SQL undoing :func:`protect` (for downgrades)."""
    return ";\n".join([f"DROP POLICY IF EXISTS all_tenants ON {table}",
                       f"DROP POLICY IF EXISTS links_readable ON {table}",
                       f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
                       f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
                       f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"])


def admin_engine() -> sa.Engine:
    """The engine of DATABASE_ADMIN_URL (DATABASE_URL's when it is not set)."""
    return db.engines.get(ADMIN_BIND) or db.engine


@contextmanager
def admin_session() -> Iterator[Session]:
    """A session on DATABASE_ADMIN_URL, for operator work across tenants (with ``unscoped``)."""
    with Session(admin_engine()) as session:
        yield session


def grant_runtime_privileges(connection: sa.Connection) -> None:
    """On ``connection`` (the admin role's, after migrations), give DATABASE_URL's role exactly
    what the app needs: rows of every table (:data:`RUNTIME_PRIVILEGES`), the sequences, the
    functions of :data:`RUNTIME_FUNCTIONS` that exist, no DDL. Nothing to do when both URLs
    are one role, or on SQLite."""
    if connection.dialect.name != "postgresql" or db.engines.get(ADMIN_BIND) is None:
        return
    with db.engine.connect() as runtime:
        role = runtime.exec_driver_sql("SELECT current_user").scalar()
    if role == connection.exec_driver_sql("SELECT current_user").scalar():
        return
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    schema = quote(connection.exec_driver_sql("SELECT current_schema()").scalar())
    tables = connection.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").scalars()
    for statement in [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
            f"REVOKE CREATE ON SCHEMA {schema} FROM {grantee}",
            f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
            *(f"GRANT {RUNTIME_PRIVILEGES.get(table, READ_WRITE)} ON {schema}.{quote(table)} "
              f"TO {grantee}" for table in sorted(tables)),
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
            *(f"GRANT EXECUTE ON FUNCTION {schema}.{function} TO {grantee}"
              for function in RUNTIME_FUNCTIONS if connection.exec_driver_sql(
                  "SELECT to_regprocedure(%s)", (function,)).scalar())]:
        connection.exec_driver_sql(statement)


def init_app(app: Flask) -> None:
    """Check DATABASE_URL's role when the app first connects to PostgreSQL."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _check_runtime_role, once=True)


def _check_runtime_role(dbapi_connection, connection_record) -> None:
    """Warn, once per process, when row-level security does not hold against DATABASE_URL."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_ROLE_CHECK)
        name, superuser, bypass, all_tenants = cursor.fetchone()
    finally:
        cursor.close()
        dbapi_connection.rollback()
    reasons = [reason for reason, holds in (
        ("is a superuser", superuser), ("has BYPASSRLS", bypass),
        ("may read every tenant (it is the role migrations ran as)", all_tenants)) if holds]
    if reasons:
        logger.warning(
            "Row-level security is not enforced for DATABASE_URL's role %r: it %s. Tenant "
            "isolation rests on the ORM alone; connect DATABASE_URL as a role that is neither "
            "superuser nor BYPASSRLS and give migrations DATABASE_ADMIN_URL (README, "
            "\"Security\").", name, " and ".join(reasons))
