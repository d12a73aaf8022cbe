"""The issue's large database, added to a seeded fixture: 10,000 tenants in all,
1,000,000 token rows in all (with their grants) and 100,000 users in the measured tenant.

Set-based SQL straight into the migrated schema (INSERT ... SELECT over generate_series),
in one transaction. The rows look like Tessera's own: every tenant has its system roles,
an active signing key, an owner, a client and a few projects; every grant belongs to a
tenant, a client and a user and holds two tokens (a rotated one and the live one), with
unique ``jti`` and refresh-token digests, issue times spread over a month, and half of
them in the measured tenant, so every index the token paths use is as large as it gets.
Ids are md5 digests of a name and a number, so rows can point at each other without
lookups.
"""
from __future__ import annotations

import time

import sqlalchemy as sa

from seed import MEASURED, SCOPE, USER_EMAIL

TENANTS = 10_000
TOKENS = 1_000_000
USERS = 100_000
PROJECTS_PER_TENANT = 5

_CONTEXT = """
SELECT t.id AS tenant, c.id AS client, r.id AS user_role, u.id AS "user",
       (SELECT count(*) FROM tenants) AS tenants,
       (SELECT count(*) FROM users WHERE tenant_id = t.id) AS users,
       (SELECT count(*) FROM tokens) AS tokens
FROM tenants t
JOIN clients c ON c.tenant_id = t.id AND c.client_name = 'legacy'
JOIN roles r ON r.tenant_id = t.id AND r.name = 'user'
JOIN users u ON u.tenant_id = t.id AND u.email = :email
WHERE t.slug = :slug
"""

_STEPS = {
    "tenants": ["""
        INSERT INTO tenants
        SELECT (jsonb_populate_record(NULL::tenants, to_jsonb(m) || jsonb_build_object(
            'id', md5('tenant-' || t)::uuid, 'slug', 'bulk-' || t, 'name', 'Bulk tenant ' || t,
            'created_at', now(), 'updated_at', now()))).*
        FROM tenants AS m CROSS JOIN generate_series(1, :fillers) AS t
        WHERE m.id = :tenant"""],
    "their roles and keys": ["""
        INSERT INTO roles (id, tenant_id, name, description, is_system, created_at, updated_at)
        SELECT md5('role-' || t || '-' || r.name)::uuid, md5('tenant-' || t)::uuid, r.name,
               r.description, r.is_system, now(), now()
        FROM generate_series(1, :fillers) AS t CROSS JOIN roles AS r
        WHERE r.tenant_id = :tenant""", """
        INSERT INTO role_permissions (role_id, permission_id)
        SELECT md5('role-' || t || '-' || r.name)::uuid, rp.permission_id
        FROM generate_series(1, :fillers) AS t CROSS JOIN roles AS r
        JOIN role_permissions AS rp ON rp.role_id = r.id
        WHERE r.tenant_id = :tenant""", """
        INSERT INTO signing_keys (id, tenant_id, kid, algorithm, private_key_encrypted,
                                  public_jwk, created_at, activates_at)
        SELECT md5('key-' || t)::uuid, md5('tenant-' || t)::uuid, md5('kid-' || t),
               k.algorithm, k.private_key_encrypted, k.public_jwk, now(), now()
        FROM generate_series(1, :fillers) AS t CROSS JOIN signing_keys AS k
        WHERE k.tenant_id = :tenant AND k.retired_at IS NULL AND k.revoked_at IS NULL"""],
    "their owners, clients and projects": ["""
        INSERT INTO users
        SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(
            'id', md5('owner-' || t)::uuid, 'tenant_id', md5('tenant-' || t)::uuid,
            'email', 'owner@bulk-' || t || '.example'))).*
        FROM users AS u CROSS JOIN generate_series(1, :fillers) AS t
        WHERE u.id = :user""", """
        INSERT INTO user_roles (user_id, role_id)
        SELECT md5('owner-' || t)::uuid, md5('role-' || t || '-owner')::uuid
        FROM generate_series(1, :fillers) AS t""", """
        INSERT INTO clients (id, tenant_id, client_id, client_secret_hash, client_name,
                             redirect_uris, grant_types, response_types, scope,
                             token_endpoint_auth_method, is_first_party, created_at, updated_at)
        SELECT md5('client-' || t)::uuid, md5('tenant-' || t)::uuid, 'bulk-client-' || t,
               encode(sha256(convert_to('secret-' || t, 'UTF8')), 'hex'), 'app', '[]',
               '["password", "refresh_token"]', '[]', :scope, 'client_secret_basic', false,
               now(), now()
        FROM generate_series(1, :fillers) AS t""", """
        INSERT INTO projects (id, tenant_id, name, description, owner_id, created_at,
                              updated_at)
        SELECT md5('project-' || t || '-' || p)::uuid, md5('tenant-' || t)::uuid,
               'Project ' || p, '', md5('owner-' || t)::uuid, now(), now()
        FROM generate_series(1, :fillers) AS t CROSS JOIN generate_series(1, :projects) AS p"""],
    "users of the measured tenant": ["""
        INSERT INTO users
        SELECT (jsonb_populate_record(NULL::users, to_jsonb(u) || jsonb_build_object(
            'id', md5('member-' || m)::uuid, 'email', 'member' || m || '@bench.example'))).*
        FROM users AS u CROSS JOIN generate_series(1, :members) AS m
        WHERE u.id = :user""", """
        INSERT INTO user_roles (user_id, role_id)
        SELECT md5('member-' || m)::uuid, :user_role FROM generate_series(1, :members) AS m"""],
    "grants and tokens": ["""
        WITH g AS (
            SELECT n, n <= :measured_grants AS measured, n % :fillers + 1 AS t,
                   n % :members + 1 AS m, now() - (n % 43200) * interval '1 minute' AS created
            FROM generate_series(1, :grants) AS n
        ), inserted AS (
            INSERT INTO grants (id, tenant_id, client_id, user_id, grant_type, scope,
                                created_at, expires_at)
            SELECT md5('grant-' || n)::uuid,
                   CASE WHEN measured THEN :tenant ELSE md5('tenant-' || t)::uuid END,
                   CASE WHEN measured THEN :client ELSE md5('client-' || t)::uuid END,
                   CASE WHEN measured THEN md5('member-' || m)::uuid
                        ELSE md5('owner-' || t)::uuid END,
                   'password', :scope, created, created + interval '30 days'
            FROM g
            RETURNING id, tenant_id, scope, created_at, expires_at
        )
        INSERT INTO tokens (id, tenant_id, grant_id, jti, refresh_token_hash, scope, issued_at,
                            access_expires_at, refresh_expires_at, refresh_used_at)
        SELECT md5('token-' || i.id || '-' || k)::uuid, i.tenant_id, i.id,
               md5('jti-' || i.id || '-' || k),
               encode(sha256(convert_to('refresh-' || i.id || '-' || k, 'UTF8')), 'hex'),
               i.scope, i.created_at + (k - 1) * interval '1 hour',
               i.created_at + k * interval '1 hour', i.expires_at,
               CASE WHEN k = 1 THEN i.created_at + interval '1 hour' END
        FROM inserted AS i CROSS JOIN generate_series(1, 2) AS k"""],
}


def seed_large(url: str) -> None:
    """Grow the seeded database at ``url`` to the issue's sizes; prints each step's time."""
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        values = _values(connection)
        for step, statements in _STEPS.items():
            step_started = time.perf_counter()
            for statement in statements:
                connection.execute(sa.text(statement), values)
            print(f"  {step}: {time.perf_counter() - step_started:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(f"large database seeded in {time.perf_counter() - started:.0f} s: {TENANTS:,} "
          f"tenants, {TOKENS:,} tokens, {USERS:,} users in {MEASURED!r}", flush=True)


def _values(connection: sa.Connection) -> dict:
    """The bind values of the steps: the measured tenant's ids and how many rows to add."""
    row = connection.execute(sa.text(_CONTEXT), {"slug": MEASURED, "email": USER_EMAIL}).one()
    grants = (TOKENS - row.tokens) // 2
    return {"tenant": row.tenant, "client": row.client, "user_role": row.user_role,
            "user": row.user, "scope": SCOPE, "projects": PROJECTS_PER_TENANT,
            "fillers": TENANTS - row.tenants, "members": USERS - row.users,
            "grants": grants, "measured_grants": grants // 2}
