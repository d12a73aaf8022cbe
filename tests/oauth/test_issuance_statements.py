"""The token endpoint's own statements on PostgreSQL, as production runs them (committed rows,
no outer test transaction): the client and the signing key read with one prepared statement
(api.clients.lookup, api.keys.services.active_key), and an issuance written as one statement
(api.oauth.tokens.record_issued), a client_credentials one prepared and committed by itself.
Nothing of them is kept between requests, so a changed secret, a deleted client or a
rotated or revoked key counts with the next request.

Also the refresh and password grants' own: a refresh reads its token, grant and user with
one prepared statement (api.oauth.refresh) and writes with one, committed by itself
(api.oauth.tokens.record_rotation); the password grant's
throttle counters are one statement per step, each in autocommit with synchronous_commit
off (api.ratelimit), and the user's factors one query (api.mfa.factors)."""
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.audit.models import AuditEvent
from api.clients import lookup
from api.clients.models import Client
from api.clients.services import set_new_secret
from api.db import tenant_scope, utcnow
from api.extensions import db as _db
from api.keys import services as keys
from api.oauth import refresh, tokens
from api.oauth.models import Grant, Token
from api.oauth.server import REFRESH_CLIENT, TOKEN_CLIENT
from api.ratelimit import services as ratelimit
from api.ratelimit.models import ThrottleCounter
from api.security import digest
from api.tenancy.models import Tenant
from tests import factories
from tests.services import postgres_server_url

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]


def client_credentials(http, slug: str, credentials) -> int | str:
    """The access token the client gets, or the status code when it gets none."""
    response = http.post(f"/t/{slug}/token", auth=credentials,
                         data={"grant_type": "client_credentials"})
    return response.json["access_token"] if response.status_code == 200 else \
        response.status_code


def test_the_client_read_with_a_prepared_statement_is_the_one_the_orm_loads(committed_app):
    """Column by column, attached to the session, its tenant remembered: a change to it is
    written, and after a commit it loads again in its own tenant."""
    tenant = factories.tenant("acme")[0]
    client, _ = factories.client(tenant, redirect_uris=["https://app.example/cb"],
                                 grant_types=["authorization_code", "client_credentials"])
    tenant_id, client_id = tenant.id, client.client_id
    _db.session.remove()
    with tenant_scope(_db.session, tenant_id):
        expected = _db.session.scalar(select(Client).where(Client.client_id == client_id))
        columns = {column.key: getattr(expected, column.key)
                   for column in Client.__mapper__.column_attrs}
    _db.session.remove()
    with tenant_scope(_db.session, tenant_id):
        found = lookup.find(tenant_id, client_id)
        assert {key: getattr(found, key) for key in columns} == columns
        assert sa.inspect(found).persistent and found in _db.session
        assert _db.session.scalar(select(Client).where(Client.client_id == client_id)) is found
        assert lookup.find(tenant_id, "no such client") is None
        found.client_name = "Renamed"
        _db.session.commit()
    assert found.client_name == "Renamed"  # expired by the commit, loaded in its tenant
    _db.session.remove()


@pytest.mark.parametrize("read", ["LOOKUP", "TOKEN_CLIENT"])
def test_the_client_lookup_names_the_tenant_even_where_row_level_security_does_not_hold(
        committed_app, read):
    """Run as a superuser, whom no policy holds, one tenant's client is not found in another;
    the token endpoint's lookup reads the client's own tenant's signing key, not the newer
    key of the tenant created after it."""
    tenants = {slug: factories.tenant(slug)[0] for slug in ("acme", "globex")}
    client_id = factories.client(tenants["acme"])[0].client_id
    statement, params = (lookup.LOOKUP, {}) if read == "LOOKUP" else (TOKEN_CLIENT,
                                                                      {"now": utcnow()})
    superuser = sa.create_engine(make_url(postgres_server_url()).set(
        database=_db.engine.url.database))
    try:
        with Session(superuser) as session:
            def row(slug):
                return statement.first(session, tenants[slug].id, client_id=client_id,
                                       **params)
            assert row("globex") is None
            assert row("acme") is not None
            if statement is TOKEN_CLIENT:
                with tenant_scope(_db.session, tenants["acme"].id):
                    assert tuple(row("acme")[-2:]) == keys.active_key(tenants["acme"].id)[:2]
    finally:
        superuser.dispose()


def test_the_refresh_token_read_with_the_client_is_the_clients_tenants_own(committed_app):
    """Run as a superuser, whom no policy holds, the token endpoint's lookup for a refresh
    finds the client's tenant's refresh token, and not another tenant's."""
    http, presented = committed_app.test_client(), {}
    for slug in ("acme", "globex"):
        tenant = factories.tenant(slug)[0]
        user = factories.user(tenant, f"ann@{slug}.example")
        client, secret = factories.client(tenant, grant_types=["password", "refresh_token"],
                                          scope="openid")
        presented[slug] = tenant.id, client.client_id, http.post(
            f"/t/{slug}/token", auth=(client.client_id, secret), data={
                "grant_type": "password", "username": user.email,
                "password": factories.PASSWORD, "scope": "openid"}).json["refresh_token"]
    tenant_id, client_id, _ = presented["acme"]
    superuser = sa.create_engine(make_url(postgres_server_url()).set(
        database=_db.engine.url.database))
    try:
        with Session(superuser) as session:
            def token_read(slug):
                row = REFRESH_CLIENT.first(session, tenant_id, client_id=client_id,
                                           now=utcnow(), digest=digest(presented[slug][2]))
                return row[len(lookup._COLUMNS) + 2]  # after the client and the signing key
            assert token_read("acme") is not None
            assert token_read("globex") is None
    finally:
        superuser.dispose()


def test_a_client_credentials_token_is_one_read_and_one_write_committed_by_itself(
        committed_app, prepared_runs):
    """The client with the key that signs, then the grant, token and event, each one
    prepared statement; nothing through the session (no BEGIN, no COMMIT), and the rows are
    committed when the response is."""
    http = committed_app.test_client()
    tenant = factories.tenant("acme")[0]
    client, secret = factories.client(tenant)
    tenant_id, client_row, credentials = tenant.id, client.id, (client.client_id, secret)
    client_credentials(http, "acme", credentials)  # the tenant is cached
    _db.session.remove()  # as each request starts in production (here they share one)
    through_session = []

    def executed(connection, cursor, statement, *args):
        through_session.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", executed)
    try:
        prepared_runs.clear()
        token = client_credentials(http, "acme", credentials)
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", executed)
    assert prepared_runs == ["tessera_token_client", "tessera_issue"]
    assert through_session == []
    jti = tokens._unverified_segment(token, 1)["jti"]
    with tenant_scope(_db.session, tenant_id):
        row = _db.session.scalar(select(Token).where(Token.jti == jti))
        assert row.grant.grant_type == "client_credentials" and row.grant.client_id == client_row
        assert _db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "token.issued", AuditEvent.details["jti"].as_string() == jti))


def test_a_new_secret_and_a_deleted_client_count_with_the_next_request(committed_app):
    http = committed_app.test_client()
    tenant = factories.tenant("acme")[0]
    client, secret = factories.client(tenant)
    assert isinstance(client_credentials(http, "acme", (client.client_id, secret)), str)
    with tenant_scope(_db.session, tenant.id):
        new_secret = set_new_secret(_db.session.get(Client, client.id))
        _db.session.commit()
    assert client_credentials(http, "acme", (client.client_id, secret)) == 401
    assert isinstance(client_credentials(http, "acme", (client.client_id, new_secret)), str)
    with tenant_scope(_db.session, tenant.id):
        _db.session.delete(_db.session.get(Client, client.id))
        _db.session.commit()
    assert client_credentials(http, "acme", (client.client_id, new_secret)) == 401


def test_a_rotated_or_revoked_signing_key_counts_with_the_next_token(committed_app):
    http = committed_app.test_client()
    tenant = factories.tenant("acme")[0]
    client, secret = factories.client(tenant)

    def kid() -> str:
        token = client_credentials(http, "acme", (client.client_id, secret))
        return tokens._unverified_segment(token, 0)["kid"]

    first = kid()
    with tenant_scope(_db.session, tenant.id):
        rotated = keys.rotate(tenant.id, tenant.access_token_lifetime).kid
        _db.session.commit()
    assert kid() == rotated != first
    with tenant_scope(_db.session, tenant.id):
        _, replacement = keys.revoke(tenant.id, rotated, tenant.access_token_lifetime)
        replacement_kid = replacement.kid
        _db.session.commit()
    assert kid() == replacement_kid not in (first, rotated)


def test_an_issuance_writes_its_grant_token_and_audit_event_in_its_tenant(committed_app):
    """client_credentials, then password and refresh (the refresh extends its grant)."""
    http = committed_app.test_client()
    tenant = factories.tenant("acme")[0]
    factories.tenant("globex")
    user = factories.user(tenant, "ann@acme.example")
    service, service_secret = factories.client(tenant)
    legacy, legacy_secret = factories.client(tenant, grant_types=["password", "refresh_token"],
                                             scope="openid")
    client_credentials(http, "acme", (service.client_id, service_secret))
    issued = http.post("/t/acme/token", auth=(legacy.client_id, legacy_secret), data={
        "grant_type": "password", "username": user.email, "password": factories.PASSWORD,
        "scope": "openid"}).json
    refreshed = http.post("/t/acme/token", auth=(legacy.client_id, legacy_secret), data={
        "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]})
    assert refreshed.status_code == 200
    with tenant_scope(_db.session, tenant.id):
        grants = {grant.grant_type: grant for grant in _db.session.scalars(select(Grant))}
        assert set(grants) == {"client_credentials", "password"}
        assert grants["client_credentials"].client_id == service.id
        assert grants["client_credentials"].user_id is None
        password = grants["password"]
        assert password.user_id == user.id and password.scope == "openid"
        rows = _db.session.scalars(select(Token).order_by(Token.issued_at)).all()
        expected = [grants["client_credentials"].id, password.id, password.id]
        assert [row.grant_id for row in rows] == expected
        assert rows[1].refresh_used_at is not None and rows[2].refresh_token_hash
        assert password.expires_at == rows[2].refresh_expires_at  # extended by the refresh
        events = _db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "token.issued").order_by(AuditEvent.created_at)).all()
        assert [(event.target_type, event.target_id, event.details["jti"])
                for event in events] == [("grants", str(row.grant_id), row.jti) for row in rows]
        assert {event.tenant_id for event in events} == {tenant.id}
        assert [event.actor_type for event in events] == ["client", "user", "user"]
        assert events[0].ip == "127.0.0.1" and events[0].request_id
    globex = _db.session.scalar(select(Tenant.id).where(Tenant.slug == "globex"))
    with tenant_scope(_db.session, globex):
        assert _db.session.scalars(select(Token)).all() == []


@pytest.fixture
def legacy(committed_app):
    tenant = factories.tenant("acme")[0]
    user = factories.user(tenant, "ann@acme.example")
    client, secret = factories.client(tenant, grant_types=["password", "refresh_token"],
                                      scope="openid")
    return tenant, user, (client.client_id, secret)


def password_grant(http, credentials, email: str, password: str = factories.PASSWORD):
    return http.post("/t/acme/token", auth=credentials, data={
        "grant_type": "password", "username": email, "password": password, "scope": "openid"})


def refresh_grant(http, credentials, refresh_token: str):
    return http.post("/t/acme/token", auth=credentials, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token})


def found(tenant_id, refresh_token: str) -> refresh.RefreshToken | None:
    """The refresh token as the refresh grant reads it (api.oauth.refresh)."""
    with tenant_scope(_db.session, tenant_id):
        token = refresh.find(tenant_id, refresh_token)
        _db.session.rollback()
    return token


def test_a_refresh_is_one_prepared_read_and_one_prepared_write_committed_by_itself(
        committed_app, legacy, statements, prepared_runs):
    """The client, the signing key, and the token, grant and user in one read (the token
    endpoint's client lookup); the claim, the grant's new expiry, the new token and the
    event in one write, committed when the response is; nothing through the session (no
    BEGIN, no COMMIT)."""
    tenant, user, credentials = legacy
    http, tenant_id = committed_app.test_client(), tenant.id
    issued = password_grant(http, credentials, user.email).json
    presented = found(tenant_id, issued["refresh_token"])
    assert presented.user.id == user.id and presented.user.permissions and presented.usable
    assert found(tenant_id, "not a refresh token") is None
    _db.session.remove()  # as each request starts in production (here they share one)
    statements.clear()
    prepared_runs.clear()
    refreshed = refresh_grant(http, credentials, issued["refresh_token"])
    assert refreshed.status_code == 200
    assert prepared_runs == ["tessera_refresh_client", "tessera_rotate"]
    assert statements == []
    used, successor = found(tenant_id, issued["refresh_token"]), found(
        tenant_id, refreshed.json["refresh_token"])
    assert used.used and not used.usable
    assert successor.usable and successor.grant_id == presented.grant_id


def test_a_refresh_that_loses_the_claim_writes_nothing_and_revokes_the_grant(committed_app,
                                                                             legacy):
    """Of two uses of one refresh token, the one whose claim waited for the other's (the
    grant's row lock) finds the token used when it gets the lock: it issues nothing (no
    token row, no token.issued event) and revokes the grant as a reuse (RFC 9700 §4.14.2).
    The other use is played here by a transaction holding the grant's lock."""
    tenant, user, credentials = legacy
    http = committed_app.test_client()
    issued = password_grant(http, credentials, user.email).json
    presented = found(tenant.id, issued["refresh_token"])
    database = _db.engine.url.database
    superuser = sa.create_engine(make_url(postgres_server_url()).set(database=database))
    responses = []
    try:
        with superuser.connect() as winner:
            winner.execute(select(Grant.id).where(Grant.id == presented.grant_id)
                           .with_for_update())
            winner.execute(sa.update(Token).where(Token.id == presented.id)
                           .values(refresh_used_at=utcnow()))
            loser = threading.Thread(target=lambda: responses.append(
                refresh_grant(http, credentials, issued["refresh_token"])))
            loser.start()
            waiting = sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
                              "AND wait_event_type = 'Lock'")
            deadline = time.monotonic() + 10
            while not (waited := winner.scalar(waiting, {"name": database})) and \
                    time.monotonic() < deadline:
                time.sleep(0.02)
            winner.commit()
            loser.join(10)
    finally:
        superuser.dispose()
    assert waited  # for the grant's lock, after its read had found the token unused
    assert responses[0].status_code == 400 and responses[0].json["error"] == "invalid_grant"
    with tenant_scope(_db.session, tenant.id):
        assert _db.session.get(Grant, presented.grant_id).revoked_at is not None
        assert len(_db.session.scalars(select(Token)).all()) == 1  # the password grant's
        actions = _db.session.scalars(select(AuditEvent.action)).all()
        _db.session.rollback()
    assert actions.count("token.issued") == 1 and "refresh_token.reused" in actions


def test_the_password_grants_throttle_is_one_autocommit_statement_per_step(
        committed_app, legacy, statements):
    _, user, credentials = legacy
    http, email = committed_app.test_client(), user.email
    password_grant(http, credentials, email)  # prepared reads and caches warm
    statements.clear()
    assert password_grant(http, credentials, email).status_code == 200
    throttle = [autocommit for statement, autocommit in statements
                if "throttle_counters" in statement]
    assert throttle == [True, True]  # count the attempt; settle it after the password
    assert len(statements) == 6
    factor_reads = [statement for statement, _ in statements if "totp_factors" in statement]
    assert len(factor_reads) == 1 and "passkeys" in factor_reads[0]


def test_guards_past_their_limit_keep_the_guarded_key_uncounted_and_every_count_commits(
        committed_app):
    """Written at once, in autocommit: a request that rolls back does not take them back."""
    guards = {"guard-a": 2, "guard-b": 5}
    with tenant_scope(_db.session, factories.tenant("acme")[0].id):
        hits = [ratelimit.hit_guarded(guards, "guarded", 60) for _ in range(4)]
        _db.session.rollback()
    assert hits[0] == {"guard-a": 1, "guard-b": 1, "guarded": 1}
    assert hits[1] == {"guard-a": 2, "guard-b": 2, "guarded": 2}
    assert hits[2] == {"guard-a": 3, "guard-b": 3}  # guard-a past 2: "guarded" not counted
    assert hits[3] == {"guard-a": 4, "guard-b": 4}
    with _db.engine.connect() as connection:
        assert sorted(connection.execute(select(ThrottleCounter.hits)).scalars()) == [2, 4, 4]
    ratelimit.settle(60, clear=["guard-a"], release=["guard-b", "guarded"])
    with _db.engine.connect() as connection:
        assert sorted(connection.execute(select(ThrottleCounter.hits)).scalars()) == [1, 3]
