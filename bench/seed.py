"""The benchmark's fixture: a migrated database with the measured tenant "bench" (RS256)
and "bench-es" (whose active key is ES256), each with a client_credentials client (also
a resource server, which may introspect the tenant's tokens); in
"bench" also a few users, a password + refresh_token client, a page of projects and a pool
of live refresh tokens (one per refresh request to come: rotation spends each one once);
then ANALYZEd.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from api import audit
from api.app import create_app
from api.clients.services import create_client
from api.db import tenant_scope
from api.extensions import db
from api.keys import services as keys
from api.v1.projects.models import Project
from api.security import generate_secret
from api.tenancy.services import create_tenant
from api.users.services import create_user
from support import Database

MEASURED = "bench"
ES256_TENANT = "bench-es"
#: tenant slug -> the algorithm of its active signing key
TENANTS = {MEASURED: "RS256", ES256_TENANT: "ES256"}
PASSWORD = "benchmark password 1"
#: The service client's scope: it introspects users' tokens, so it is a resource server.
SERVICE_SCOPE = "projects:read tokens:introspect"
#: The password grant's users; the first one's token is the bearer of GET /me.
USERS = [f"user{number}@bench.example" for number in range(16)]
USER_EMAIL = USERS[0]
SCOPE = "openid projects:read"
PROJECTS = 20

#: Refresh tokens are random strings to Tessera (it stores their SHA-256), so the pool's
#: are a per-run salt plus a number, and PostgreSQL digests them itself.
_REFRESH_POOL = [
    """INSERT INTO grants (id, tenant_id, client_id, user_id, grant_type, scope, created_at,
                           expires_at)
       SELECT md5(:salt || '-grant-' || n)::uuid, :tenant, :client, :user, 'password', 'openid',
              now(), now() + interval '1 day'
       FROM generate_series(1, :count) AS n""",
    """INSERT INTO tokens (id, tenant_id, grant_id, jti, refresh_token_hash, scope, issued_at,
                           access_expires_at, refresh_expires_at)
       SELECT md5(:salt || '-token-' || n)::uuid, :tenant, md5(:salt || '-grant-' || n)::uuid,
              md5(:salt || '-jti-' || n), encode(sha256(convert_to(:salt || n, 'UTF8')), 'hex'),
              'openid', now(), now() + interval '1 day', now() + interval '1 day'
       FROM generate_series(1, :count) AS n""",
]


@dataclass
class Fixture:
    """What the scenarios need to know about a seeded database."""

    #: tenant slug -> (client_id, secret) of its client_credentials client
    service: dict[str, tuple[str, str]]
    #: (client_id, secret) of the measured tenant's password + refresh_token client
    legacy: tuple[str, str]
    refresh_tokens: list[str]


def seed(database: Database, refresh_tokens: int) -> Fixture:
    """Migrate ``database`` (which grants its runtime role what the app needs) and commit
    the fixture."""
    from flask_migrate import upgrade

    app = create_app(database.config)
    with app.app_context():
        upgrade()
        service, measured = {}, None
        for slug, algorithm in TENANTS.items():
            tenant_id, service[slug] = _tenant(slug, algorithm)
            measured = measured or tenant_id
        with tenant_scope(db.session, measured):
            legacy, pool = _measured_tenant(measured, refresh_tokens)
        db.session.remove()
        db.engine.dispose()
    analyze(database.admin_url)
    return Fixture(service, legacy, pool)


def analyze(url: str) -> None:
    """Gather the planner's statistics of what was seeded, as autoanalyze would in
    production soon after such a burst of rows: measure the steady state, not the first
    minute of a fresh database (the hot statements' plans no longer depend on statistics,
    migration 0016, but the rest of the workload does)."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def _tenant(slug: str, algorithm: str) -> tuple[uuid.UUID, tuple[str, str]]:
    tenant, _ = create_tenant(slug, slug.title(), f"owner@{slug}.example", PASSWORD,
                              audit.OPERATOR, current_app.config["PUBLIC_FRONTEND_URL"])
    with tenant_scope(db.session, tenant.id):
        if algorithm != keys.DEFAULT_ALGORITHM:
            keys.rotate(tenant.id, tenant.access_token_lifetime, algorithm)
            db.session.commit()
        client, secret = create_client("service", ["client_credentials"], SERVICE_SCOPE, [],
                                       False, audit.OPERATOR)
        return tenant.id, (client.client_id, secret)


def _measured_tenant(tenant_id: uuid.UUID, refresh_tokens: int) -> tuple[tuple[str, str],
                                                                         list[str]]:
    user, *_ = [create_user(email, PASSWORD, "user", audit.OPERATOR) for email in USERS]
    client, secret = create_client("legacy", ["password", "refresh_token"], SCOPE, [], False,
                                   audit.OPERATOR)
    db.session.add_all(Project(name=f"Project {number}", description="A benchmark project",
                               owner_id=user.id) for number in range(PROJECTS))
    salt = generate_secret(24)
    values = {"salt": salt, "tenant": tenant_id, "client": client.id, "user": user.id,
              "count": refresh_tokens}
    for statement in _REFRESH_POOL:
        db.session.execute(sa.text(statement), values)
    db.session.commit()
    return (client.client_id, secret), [f"{salt}{n}" for n in range(1, refresh_tokens + 1)]
