"""The introspection endpoint's own statements on PostgreSQL, as production runs them
(committed rows, no outer test transaction): its client and the access token it is asked
about are read with one prepared statement (api.oauth.introspection), the token's client and
user come from the bearer cache, and a change made elsewhere counts with the next request."""
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.clients import lookup
from api.clients.models import Client
from api.db import UTCDateTime, tenant_scope, utcnow
from api.extensions import db as _db
from api.oauth import tokens
from api.oauth.introspection import CLIENT_AND_TOKEN
from tests import factories
from tests.services import postgres_server_url

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]


@dataclass
class Introspection:
    """A tenant's user token (of a password client) and a resource server asking about it."""

    http: object
    slug: str
    tenant_id: object
    access_token: str
    resource_server: tuple[str, str]

    def __call__(self, token: str | None = None, **form):
        return self.http.post(f"/t/{self.slug}/introspect", auth=self.resource_server,
                              data={"token": token or self.access_token, **form})


def introspection_in(http, slug: str) -> Introspection:
    tenant = factories.tenant(slug)[0]
    user = factories.user(tenant, f"ann@{slug}.example")
    client, secret = factories.client(tenant, grant_types=["password", "refresh_token"],
                                      scope="openid")
    server, server_secret = factories.client(tenant, scope="tokens:introspect")
    issued = http.post(f"/t/{slug}/token", auth=(client.client_id, secret), data={
        "grant_type": "password", "username": user.email, "password": factories.PASSWORD,
        "scope": "openid"}).json
    return Introspection(http, slug, tenant.id, issued["access_token"],
                         (server.client_id, server_secret))


@pytest.fixture
def introspect(committed_app) -> Introspection:
    return introspection_in(committed_app.test_client(), "acme")


def test_an_access_token_is_introspected_with_one_prepared_statement(introspect, prepared_runs,
                                                                     statements):
    """The client and the token in one round trip; nothing through the session (no BEGIN,
    no ROLLBACK), the token's client and user as the bearer cache holds them."""
    introspect()  # the bearer cache and the tenant cache fill
    _db.session.remove()  # as each request starts in production (here they share one)
    prepared_runs.clear()
    statements.clear()
    body = introspect().json
    assert prepared_runs == [CLIENT_AND_TOKEN.name]
    assert statements == []
    assert body["active"] is True and body["username"] == "ann@acme.example"
    assert body["token_type"] == "Bearer" and body["scope"] == "openid"


def test_only_an_access_token_is_read_with_the_client_and_a_wrong_secret_learns_nothing(
        introspect, prepared_runs):
    """A token that is no access token, or one hinted to be a refresh token, leaves the
    client read alone; a client whose secret is wrong is refused as ever (RFC 6749 §5.2),
    though the token was read with it."""
    server_id, _ = introspect.resource_server
    response = introspect.http.post("/t/acme/introspect", auth=(server_id, "wrong"),
                                    data={"token": introspect.access_token})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert prepared_runs == [CLIENT_AND_TOKEN.name]
    for token, form in (("not a jwt", {}),
                        (introspect.access_token, {"token_type_hint": "refresh_token"})):
        prepared_runs.clear()
        assert introspect(token, **form).json == {"active": False}
        assert prepared_runs == ["tessera_client"]


def test_the_client_comes_detached_with_every_column_loaded(introspect):
    """The endpoint only reads its client: the lookup leaves it out of the session, as the
    ORM would have loaded it."""
    server_id, _ = introspect.resource_server
    with tenant_scope(_db.session, introspect.tenant_id):
        expected = _db.session.scalar(sa.select(Client).where(Client.client_id == server_id))
        columns = {column.key: getattr(expected, column.key)
                   for column in Client.__mapper__.column_attrs}
    _db.session.remove()
    with tenant_scope(_db.session, introspect.tenant_id):
        found, _ = lookup.find_with(lookup.LOOKUP, introspect.tenant_id, server_id,
                                    attached=False)
        assert sa.inspect(found).detached and found not in _db.session
        assert not sa.inspect(found).expired_attributes
        assert {key: getattr(found, key) for key in columns} == columns
    _db.session.remove()


#: change -> (SQL run elsewhere and committed, then what introspection says).
CHANGES = {
    "token revoked": ("UPDATE tokens SET revoked_at = :now", {"active": False}),
    "grant revoked": ("UPDATE grants SET revoked_at = :now", {"active": False}),
    "key revoked": ("UPDATE signing_keys SET revoked_at = :now", {"active": False}),
    "user's address changed": ("UPDATE users SET email = 'moved@acme.example' "
                               "WHERE email = 'ann@acme.example'",
                               {"active": True, "username": "moved@acme.example"}),
    "resource server's secret changed": (
        "UPDATE clients SET client_secret_hash = 'x' WHERE scope = 'tokens:introspect'",
        {"error": "invalid_client"}),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_made_elsewhere_is_seen_by_the_next_introspection(introspect, change):
    statement, expected = CHANGES[change]
    for _ in range(2):  # the first fills the bearer cache, the second reads it
        assert introspect().json["active"] is True
    with tenant_scope(_db.session, introspect.tenant_id):
        _db.session.execute(sa.text(statement).bindparams(*(
            [sa.bindparam("now", utcnow(), type_=UTCDateTime)] if ":now" in statement else [])))
        _db.session.commit()
    body = introspect().json
    assert {name: body.get(name) for name in expected} == expected, body


def test_the_statement_names_the_tenant_even_where_row_level_security_does_not_hold(
        committed_app):
    """Run as a superuser, whom no policy holds: a tenant's client does not find another
    tenant's token, nor another tenant's client; in its own tenant both are found."""
    http = committed_app.test_client()
    acme, globex = introspection_in(http, "acme"), introspection_in(http, "globex")
    claims = tokens._unverified_segment(acme.access_token, 1)
    kid = tokens._unverified_segment(acme.access_token, 0)["kid"]
    superuser = sa.create_engine(make_url(postgres_server_url()).set(
        database=_db.engine.url.database))
    try:
        with Session(superuser) as session:
            def row(tenant, client):
                return CLIENT_AND_TOKEN.first(session, tenant.tenant_id,
                                              client_id=client.resource_server[0],
                                              jti=claims["jti"], kid=kid, now=utcnow())
            found = row(acme, acme)
            assert found is not None and found[-7] is not None  # the token's id
            foreign = row(globex, globex)
            assert foreign is not None and set(foreign[-7:]) == {None}
            assert row(globex, acme) is None
    finally:
        superuser.dispose()
