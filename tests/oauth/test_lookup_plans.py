"""The hot lookups find their row by its key whatever the planner's statistics (migration
0016): on a tenant with thousands of grants, tokens and users that was never ANALYZEd,
PostgreSQL's plans (as the runtime role, row-level security on) reach tokens by ``jti`` or
refresh-token digest, grants and users by id, clients by ``client_id`` and signing keys by
``kid``, each an index condition, never by scanning the tenant's rows.

The bearer check's prepared statement is explained with its generic plan (the one a
server-side prepared statement keeps once PostgreSQL prefers it); the ORM's lookups as they
run, with their parameters.
"""
import json
import re

import pytest
import sqlalchemy as sa

from api import rls
from api.app import create_app
from api.clients import lookup
from api.db import tenant_scope, utcnow
from api.extensions import db
from api.oauth import bearer, introspection, refresh, tokens
from api.oauth.models import Token
from api.oauth.server import REFRESH_CLIENT, TOKEN_CLIENT
from api.prepared import PreparedRead
from api.users.authentication import authenticate
from api.users.models import User
from tests.factories import PASSWORD
from tests.services import fresh_postgres, postgres_server_url, require

pytestmark = pytest.mark.postgres

#: Rows of each kind in the tenant: enough that a scan of them would show.
ROWS = 2000
TABLES = ("grants", "tokens", "users", "clients", "signing_keys")

_BULK = [
    """INSERT INTO users
       SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(
           'id', md5('user-' || n)::uuid, 'email', 'member' || n || '@acme.example'))).*
       FROM users AS u CROSS JOIN generate_series(1, :rows) AS n WHERE u.id = :user""",
    """INSERT INTO grants (id, tenant_id, client_id, user_id, grant_type, scope, created_at,
                           expires_at)
       SELECT md5('grant-' || n)::uuid, :tenant, :client, md5('user-' || n)::uuid, 'password',
              'openid', now(), now() + interval '1 day'
       FROM generate_series(1, :rows) AS n""",
    """INSERT INTO tokens (id, tenant_id, grant_id, jti, refresh_token_hash, scope, issued_at,
                           access_expires_at, refresh_expires_at)
       SELECT md5('token-' || n)::uuid, :tenant, md5('grant-' || n)::uuid, md5('jti-' || n),
              encode(sha256(convert_to('refresh-' || n, 'UTF8')), 'hex'), 'openid', now(),
              now() + interval '1 day', now() + interval '1 day'
       FROM generate_series(1, :rows) AS n""",
]


@pytest.fixture(scope="module")
def crowded_app():
    """The API on a migrated database of this module's, with a tenant of ROWS users, grants
    and tokens (and a client of its own), never analyzed (autovacuum off for the tables
    concerned); yields the app and the ids of the tenant, the client, its client_id and the
    owner."""
    from flask_migrate import upgrade

    from tests import factories

    require(postgres_server_url() is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    with fresh_postgres(postgres_server_url()) as database:
        app = create_app(database.config)
        with app.app_context():
            upgrade()
            yield app, _crowd(factories)
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def crowded(crowded_app):
    """crowded_app's ids, in its app context."""
    app, ids = crowded_app
    with app.app_context():
        yield ids
        db.session.remove()


def _crowd(factories) -> tuple:
    with rls.admin_engine().begin() as connection:
        for table in TABLES:
            connection.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    tenant, owner = factories.tenant("acme")
    client, _ = factories.client(tenant, grant_types=("password", "refresh_token"))
    with tenant_scope(db.session, tenant.id):
        for statement in _BULK:
            db.session.execute(sa.text(statement), {"rows": ROWS, "tenant": tenant.id,
                                                    "client": client.id, "user": owner.id})
        db.session.commit()
    with rls.admin_engine().connect() as connection:
        assert connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stats WHERE tablename IN %(tables)s",
            {"tables": TABLES}).scalar() == 0
    return tenant.id, client.id, client.client_id, owner.id


def scans(plan: dict) -> dict[str, list[dict]]:
    """The scan nodes of a JSON plan, by relation (subplans and init plans included)."""
    found: dict[str, list[dict]] = {}
    nodes = [plan["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Relation Name" in node:
            found.setdefault(node["Relation Name"], []).append(node)
        nodes.extend(node.get("Plans", []))
    return found


def assert_found_by(plan: dict, table: str, column: str) -> None:
    """Every scan of ``table`` in ``plan`` is an index scan with ``column`` in its index
    condition: one row by its key, not the tenant's rows filtered."""
    nodes = scans(plan)[table]
    for node in nodes:
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), (table, node)
        condition = re.sub(r"[()]|::\w+", "", node.get("Index Cond", ""))
        assert re.search(rf"\b{column} =", condition), (table, node)


def generic_plan(statement: PreparedRead, tenant_id, values: dict) -> dict:
    """The generic plan of a prepared read (the PREPARE that api.prepared sends), as the
    runtime role in ``tenant_id`` (row-level security holds)."""
    statement._compile()
    values = {"tenant": str(tenant_id), **values}
    connection = db.engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            cursor.execute(statement._prepare, [])
            cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_id)])
            placeholders = ", ".join(["%s"] * len(statement._binds))
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE {statement.name}({placeholders})",
                           [values[name] for name, _ in statement._binds])
            return cursor.fetchone()[0][0]
    finally:
        connection.invalidate()  # its session settings and prepared statement go with it


@pytest.mark.parametrize("statement", [bearer.CHECK, bearer.LOOKUP,
                                       introspection.CLIENT_AND_TOKEN], ids=lambda s: s.name)
def test_the_bearer_checks_generic_plans_find_each_row_by_its_key(crowded, statement):
    """The bearer check, alone, with everything, and with the introspecting client."""
    tenant_id, _, client_id, _ = crowded
    with tenant_scope(db.session, tenant_id):
        key = db.session.execute(sa.text("SELECT kid FROM signing_keys")).scalar()
        db.session.rollback()
    plan = generic_plan(statement, tenant_id, {"jti": "jti-value", "kid": key,
                                               "now": utcnow(), "client_id": client_id})
    assert_found_by(plan, "tokens", "jti")
    assert_found_by(plan, "grants", "id")
    assert_found_by(plan, "signing_keys", "kid")
    assert_found_by(plan, "tenants", "id")
    if statement is bearer.LOOKUP:
        assert_found_by(plan, "users", "id")
    else:  # the rest comes from api.oauth.bearer_cache
        assert {"users", "roles"}.isdisjoint(scans(plan))
    if statement is introspection.CLIENT_AND_TOKEN:  # the client asking, not the token's
        assert_found_by(plan, "clients", "client_id")
    elif statement is bearer.CHECK:
        assert "clients" not in scans(plan)


@pytest.fixture
def explained():
    """The plans (EXPLAIN (FORMAT JSON), same connection, transaction and parameters) of
    the statements run meanwhile, as the runtime role: a list of (statement, plan)."""
    plans = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().startswith(("SELECT", "SET LOCAL")) or "FROM" not in statement:
            return
        # a scope change travels in front of the statement: keep it, explain the rest
        prefix, _, query = statement.rpartition("; ")
        with cursor.connection.cursor() as explaining:
            explaining.execute(f"{prefix}{'; ' if prefix else ''}EXPLAIN (FORMAT JSON) {query}",
                               parameters)
            plan = explaining.fetchone()[0]
        plans.append((query, plan[0] if isinstance(plan, list) else json.loads(plan)[0]))

    sa.event.listen(db.engine, "after_cursor_execute", explain)
    try:
        yield plans
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", explain)


def plan_of(plans: list, table: str, column: str) -> dict:
    """The plan of the one statement explained that looks ``table`` up by ``column``."""
    (plan,) = [plan for query, plan in plans if f"WHERE {table}.{column} = " in query]
    return plan


def test_a_refresh_token_is_found_by_its_digest(crowded, explained):
    with tenant_scope(db.session, crowded[0]):
        assert tokens.find_refresh_token("refresh-17") is not None
        db.session.rollback()
    assert_found_by(plan_of(explained, "tokens", "refresh_token_hash"), "tokens",
                    "refresh_token_hash")


@pytest.mark.parametrize("statement", [refresh.LOOKUP, REFRESH_CLIENT], ids=lambda s: s.name)
def test_the_refresh_grants_generic_plans_find_token_grant_and_user_by_their_keys(
        crowded, statement):
    """The refresh grant's prepared read (api.oauth.refresh): the token by its digest; at
    the token endpoint with the client, by its client_id."""
    tenant_id, _, key, _ = crowded
    plan = generic_plan(statement, tenant_id, {"digest": "a digest", "now": utcnow(),
                                               "client_id": key})
    assert_found_by(plan, "tokens", "refresh_token_hash")
    assert_found_by(plan, "grants", "id")
    assert_found_by(plan, "users", "id")
    if statement is REFRESH_CLIENT:
        assert_found_by(plan, "clients", "client_id")


def test_client_authentication_finds_the_client_by_its_client_id(crowded):
    """With a prepared statement of its own (api.clients.lookup), and at the token endpoint
    with the signing key in the same statement."""
    tenant_id, client_id, key, _ = crowded
    assert_found_by(generic_plan(lookup.LOOKUP, tenant_id, {"client_id": key}), "clients",
                    "client_id")
    assert_found_by(generic_plan(TOKEN_CLIENT, tenant_id, {"client_id": key, "now": utcnow()}),
                    "clients", "client_id")
    with tenant_scope(db.session, tenant_id):
        assert lookup.find(tenant_id, key).id == client_id
        db.session.rollback()


def test_the_password_grant_finds_its_user_by_email_and_a_refresh_by_id(crowded, explained):
    tenant_id, _, _, owner_id = crowded
    with tenant_scope(db.session, tenant_id):
        assert authenticate(tenant_id, "member17@acme.example", PASSWORD, None).id
        db.session.expunge_all()
        assert db.session.get(User, owner_id) is not None
        db.session.rollback()
    assert_found_by(plan_of(explained, "users", "email"), "users", "email")
    assert_found_by(plan_of(explained, "users", "id"), "users", "id")


def test_tokens_have_no_index_that_a_tenant_filter_alone_could_scan(crowded):
    indexes = sa.inspect(db.engine).get_indexes(Token.__tablename__)
    unique = [constraint["column_names"] for constraint in
              sa.inspect(db.engine).get_unique_constraints(Token.__tablename__)]
    assert not [index for index in indexes if index["column_names"][0] == "tenant_id"]
    assert not [columns for columns in unique if columns[0] == "tenant_id"]
