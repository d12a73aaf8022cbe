"""Row-level security on PostgreSQL (api.rls): the database keeps tenants apart by itself.

The suite connects as a runtime role, like production, so every statement here is
hand-written SQL that the ORM's tenant scoping lets through (it sees no table in a
text statement): what comes back, or changes, is up to the database alone.
"""
import itertools
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api import rls
from api.app import create_app
from api.db import Base, TenantScoped, read_only, tenant_scope, unscoped, utcnow
from api.extensions import db as _db
from api.oauth import bearer, tokens
from api.oauth.purge import purge_expired
from api.tenancy.models import Tenant
from api.users.models import User
from tests import factories
from tests.services import postgres_server_url

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]

#: Tables every tenant shares, without policies (api.rls says why).
SHARED = {"alembic_version", "permissions", "tenants", "throttle_counters"}
#: Tables without tenant_id whose rows belong to a tenant through the rows they link:
#: the table their key column points to.
ASSOCIATIONS = {"user_roles": "users", "role_permissions": "roles"}
TENANT_OWNED = {mapper.local_table.name for mapper in Base.registry.mappers
                if issubclass(mapper.class_, TenantScoped)}
DENIED = sa.exc.ProgrammingError  # psycopg2's InsufficientPrivilege and policy violations


def protected_tables(db) -> list[str]:
    return sorted(db.session.execute(text(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind = 'r' AND relrowsecurity")).scalars())


def key_column(table: str) -> str:
    return Base.metadata.tables[table].primary_key.columns.values()[0].name


def own_rows(table: str) -> str:
    """A condition for the rows of ``table`` that belong to the tenant in scope."""
    parent = ASSOCIATIONS.get(table)
    return f"WHERE {key_column(table)} IN (SELECT id FROM {parent})" if parent else ""


@pytest.fixture
def busy(db, factories):
    """acme and globex, each with a row in every table under row-level security."""
    tenants = {slug: factories.tenant(slug, owner_email=f"owner@{slug}.io")[0]
               for slug in ("acme", "globex")}
    for tenant in tenants.values():
        factories.activity(tenant)
    for slug, tenant in tenants.items():
        with tenant_scope(db.session, tenant.id):
            empty = [table for table in protected_tables(db)
                     if not count(db, table, own_rows(table))]
        assert empty == [], f"{slug} has no rows in {empty}: add them to factories.activity"
    return tenants


def count(db, table: str, where: str = "", **params) -> int:
    return db.session.execute(text(f"SELECT count(*) FROM {table} {where}"), params).scalar()


def counts_in(db, tenant) -> dict[str, int]:
    with tenant_scope(db.session, tenant.id):
        return {table: count(db, table, own_rows(table)) for table in protected_tables(db)}


def rowcount_or_denied(db, statement: str, **params):
    """The rows a statement changed, or "denied" when the role may not run it at all."""
    savepoint = db.session.begin_nested()
    try:
        result = db.session.execute(text(statement), params).rowcount
    except DENIED as error:
        savepoint.rollback()
        assert "permission denied" in str(error)
        return "denied"
    savepoint.commit()
    return result


def test_the_suite_connects_as_a_role_that_row_level_security_holds_against(db):
    role = db.session.execute(text(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(role) == (False, False)


def test_every_table_but_the_shared_ones_is_under_forced_row_level_security(db):
    tables = {name: (enabled, forced, sorted(policies)) for name, enabled, forced, policies in
              db.session.execute(text(
                  "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                  "array(SELECT polname FROM pg_policy WHERE polrelid = c.oid) FROM pg_class c "
                  "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"))}
    assert TENANT_OWNED | set(ASSOCIATIONS) | SHARED == set(tables), \
        "a new table is tenant-owned (TenantScoped) or in SHARED here, with a reason in api.rls"
    expected = {table: (True, True, ["all_tenants", "tenant_isolation"]) for table in TENANT_OWNED}
    expected |= {table: (True, True, ["links_readable", "tenant_isolation"])
                 for table in ASSOCIATIONS}
    expected |= {table: (False, False, []) for table in SHARED}
    assert tables == expected, "its migration runs api.rls.protect(table)"


def test_without_a_tenant_raw_sql_sees_and_touches_nothing(db, busy):
    before = {slug: counts_in(db, tenant) for slug, tenant in busy.items()}
    for table in protected_tables(db):
        key = key_column(table)
        if table not in ASSOCIATIONS:  # their id pairs stay readable (api.rls.protect)
            assert count(db, table) == 0, table
        assert rowcount_or_denied(db, f"UPDATE {table} SET {key} = {key}") in (0, "denied")
        assert rowcount_or_denied(db, f"DELETE FROM {table}") in (0, "denied")
    assert {slug: counts_in(db, tenant) for slug, tenant in busy.items()} == before


def test_in_one_tenant_hand_written_sql_cannot_reach_another(db, busy):
    acme, globex = busy["acme"], busy["globex"]
    before = counts_in(db, globex)
    with tenant_scope(db.session, globex.id):
        theirs = {table: list(db.session.execute(text(
            f"SELECT {key_column(table)} FROM {table} {own_rows(table)}")).scalars())
            for table in protected_tables(db)}
    with tenant_scope(db.session, acme.id):
        for table, keys in theirs.items():
            where = f"WHERE {key_column(table)} = ANY(:keys)"
            if table not in ASSOCIATIONS:
                assert count(db, table, where, keys=keys) == 0, table
            key = key_column(table)
            assert rowcount_or_denied(db, f"UPDATE {table} SET {key} = {key} {where}",
                                      keys=keys) in (0, "denied"), table
            assert rowcount_or_denied(db, f"DELETE FROM {table} {where}",
                                      keys=keys) in (0, "denied"), table
        assert count(db, "users", "WHERE tenant_id = :other", other=globex.id) == 0
    assert counts_in(db, globex) == before


def test_association_rows_are_readable_and_writable_only_with_their_rows(db, busy):
    everyone = {table: count(db, table) for table in ASSOCIATIONS}
    with tenant_scope(db.session, busy["globex"].id):
        theirs = {table: count(db, table, own_rows(table)) for table in ASSOCIATIONS}
    with tenant_scope(db.session, busy["acme"].id):
        for table in ASSOCIATIONS:
            assert count(db, table) == everyone[table]  # id pairs, without the rows they name
            mine = count(db, table, own_rows(table))
            assert 0 < mine < everyone[table]
            assert rowcount_or_denied(db, f"DELETE FROM {table}") == mine
    with tenant_scope(db.session, busy["globex"].id):
        assert {table: count(db, table, own_rows(table)) for table in ASSOCIATIONS} == theirs


def test_rows_for_another_tenant_are_refused(db, busy):
    acme, globex = busy["acme"], busy["globex"]
    with tenant_scope(db.session, globex.id):
        their_user = db.session.execute(text("SELECT id FROM users")).scalar()
        their_role = db.session.execute(text("SELECT id FROM roles")).scalar()
    with tenant_scope(db.session, acme.id):
        for statement in [
                "INSERT INTO projects (id, tenant_id, name, description, created_at, updated_at) "
                "VALUES (gen_random_uuid(), :other, 'planted', '', now(), now())",
                "UPDATE projects SET tenant_id = :other",
                "INSERT INTO user_roles (user_id, role_id) VALUES (:user, :role)"]:
            savepoint = db.session.begin_nested()
            with pytest.raises(DENIED, match="row-level security"):
                db.session.execute(text(statement), {"other": globex.id, "user": their_user,
                                                     "role": their_role})
            savepoint.rollback()


def test_the_runtime_role_cannot_read_across_tenants_even_when_it_asks(db, busy):
    with unscoped(db.session):
        assert db.session.scalars(select(User)).all() == []
        assert count(db, "users") == 0
    db.session.execute(text("SET LOCAL app.all_tenants = 'on'"))
    assert count(db, "users") == 0


def test_switching_tenants_in_one_transaction_switches_the_setting(db, busy):
    """SET LOCAL lasts for the transaction: each scope change must set it again."""
    for _ in range(2):
        for slug, tenant in busy.items():
            with tenant_scope(db.session, tenant.id):
                assert db.session.execute(text("SELECT email FROM users")).scalars().all() == [
                    f"owner@{slug}.io"]
        assert count(db, "users") == 0


def test_an_expired_object_refreshes_in_its_own_tenant(db, busy):
    with tenant_scope(db.session, busy["globex"].id):
        owner = db.session.scalars(select(User)).one()
    db.session.commit()  # expires it
    with tenant_scope(db.session, busy["acme"].id):
        assert owner.email == "owner@globex.io"
    assert owner.roles[0].name == "owner"


def test_the_runtime_role_purges_nothing_the_owner_purges_every_tenant(committed_app):
    past = utcnow() - timedelta(seconds=1)
    for slug in ("acme", "globex"):
        factories.activity(factories.tenant(slug)[0], expires_at=past)
    assert purge_expired(_db.session)["grants"] == 0  # DATABASE_URL: it sees no grant
    with rls.admin_session() as session:  # DATABASE_ADMIN_URL, in all-tenants mode
        assert purge_expired(session)["grants"] == 2


def test_grants_after_upgrade_are_exactly_what_the_app_needs(db):
    role = db.session.execute(text("SELECT current_user")).scalar()
    granted = {}
    for table, privilege in db.session.execute(text(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = :role"), {"role": role}):
        granted.setdefault(table, set()).add(privilege)
    tables = set(Base.metadata.tables) | {"alembic_version"}
    assert granted == {table: set(rls.RUNTIME_PRIVILEGES.get(table, rls.READ_WRITE).split(", "))
                       for table in tables}
    assert granted["audit_events"] == {"SELECT", "INSERT"}
    assert granted["alembic_version"] == {"SELECT"}
    assert not db.session.execute(text(
        "SELECT has_schema_privilege(current_user, current_schema(), 'CREATE') "
        "OR has_database_privilege(current_user, current_database(), 'CREATE') "
        "OR EXISTS (SELECT FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = current_user))")).scalar()
    assert rowcount_or_denied(db, "CREATE TABLE planted (id int)") == "denied"


def test_a_role_that_row_level_security_does_not_hold_against_is_warned_about(
        app, database, caplog):
    superuser = make_url(postgres_server_url()).set(database=make_url(database.url).database)
    for url, warned in [(database.url, None), (database.admin_url, "migrations ran as"),
                        (superuser.render_as_string(hide_password=False), "superuser")]:
        caplog.clear()
        checked = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_BINDS": {}})
        with checked.app_context(), caplog.at_level(logging.WARNING, "api.rls"):
            for _ in range(2):
                with _db.engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            _db.engine.dispose()
        warnings = [r.getMessage() for r in caplog.records if r.name == "api.rls"]
        if warned is None:
            assert warnings == []
        else:
            assert len(warnings) == 1 and warned in warnings[0]
            assert "Row-level security is not enforced" in warnings[0]


def test_upgrade_with_one_url_grants_nothing_and_works(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database.admin_url,
                      "SQLALCHEMY_BINDS": {}})
    with app.app_context():
        upgrade()
        runtime = make_url(empty_database.url).username
        assert _db.session.execute(text(
            "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = :role"),
            {"role": runtime}).scalar() == 0
        _db.session.remove()
        _db.engine.dispose()


def test_the_bearer_check_names_the_tenant_even_where_row_level_security_does_not_hold(
        committed_app):
    """The bearer check's prepared statements (api.oauth.bearer, api.prepared) filter every
    table by the tenant itself: run as a superuser, whom no policy holds, a token of one
    tenant is still not found in another; as the runtime role it is found in its own."""
    http, tenants, issued = committed_app.test_client(), {}, {}
    for slug in ("acme", "globex"):
        tenants[slug] = factories.tenant(slug)[0].id
        client, secret = factories.client(_db.session.get(Tenant, tenants[slug]))
        issued[slug] = http.post(f"/t/{slug}/token", auth=(client.client_id, secret),
                                 data={"grant_type": "client_credentials"}).json["access_token"]
    token = issued["acme"]
    assert http.get("/t/globex/api/v1/me",
                    headers={"Authorization": f"Bearer {token}"}).status_code == 401
    claims, kid = tokens._unverified_segment(token, 1), tokens._unverified_segment(token, 0)["kid"]
    superuser = sa.create_engine(make_url(postgres_server_url()).set(
        database=_db.engine.url.database))
    try:
        with superuser.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
        for engine, statement in itertools.product((superuser, _db.engine),
                                                   (bearer.CHECK, bearer.LOOKUP)):
            with Session(engine) as session:
                def lookup(tenant_id):
                    return statement.first(session, tenant_id, jti=claims["jti"], kid=kid,
                                           now=utcnow())
                assert lookup(tenants["globex"]) is None
                assert lookup(tenants["acme"]) is not None
    finally:
        superuser.dispose()


def test_a_session_that_only_reads_runs_each_statement_in_autocommit_in_its_tenant(
        committed_app):
    """api.db.read_only: no transaction to begin or roll back; the tenant's setting goes
    with every statement, each a transaction of its own, so each sees its tenant's rows."""
    tenant_ids = [factories.tenant(slug)[0].id for slug in ("acme", "globex")]
    with Session(_db.engine) as session:
        read_only(session)
        with tenant_scope(session, tenant_ids[0]):
            assert [session.execute(text("SELECT count(*) FROM users")).scalar()
                    for _ in range(3)] == [1, 1, 1]
            assert session.connection().connection.dbapi_connection.autocommit
            assert session.execute(text("SELECT now() = statement_timestamp()")).scalar()


def test_a_connection_leaves_autocommit_without_a_round_trip(committed_app):
    """api.db.read_only: the pool gets the connection back out of autocommit with psycopg2's
    default characteristics, which it restores without a message to the server (SQLAlchemy's
    ``isolation_level`` option made it send ``SET default_transaction_isolation`` each time)."""
    tenant_id = factories.tenant("acme")[0].id
    _db.engine.dispose()
    for _ in range(2):
        with Session(_db.engine) as session:
            read_only(session)
            with tenant_scope(session, tenant_id):
                assert session.execute(text("SELECT count(*) FROM users")).scalar() == 1
    with _db.engine.connect() as connection:
        dbapi = connection.connection.dbapi_connection
        assert (dbapi.autocommit, dbapi.isolation_level) == (False, None)
