"""CORS for single-page apps, the purge command, and database trouble."""
import json

from sqlalchemy import func, select, update

from api.app import create_app
from api.db import tenant_scope, utcnow
from api.oauth.models import AuthorizationCode, Grant
from tests.helpers import basic_auth, pkce_pair

SPA_ORIGIN = "http://localhost:3000"


def test_cors_only_for_public_client_origins_and_never_on_authorize(oauth, factories,
                                                                    tenant, web_app):
    factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                     redirect_uris=(f"{SPA_ORIGIN}/callback",), public=True)
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        allowed = oauth.http.get(f"/t/acme{path}", headers={"Origin": SPA_ORIGIN})
        assert allowed.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
        other = oauth.http.get(f"/t/acme{path}", headers={"Origin": "https://evil.example"})
        assert "Access-Control-Allow-Origin" not in other.headers
    preflight = oauth.http.options("/t/acme/token", headers={
        "Origin": SPA_ORIGIN, "Access-Control-Request-Method": "POST"})
    assert preflight.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    authorize = oauth.http.get(
        "/t/acme/authorize", headers={"Origin": SPA_ORIGIN},
        query_string={"client_id": web_app[0].client_id, "response_type": "code"})
    assert "Access-Control-Allow-Origin" not in authorize.headers


def test_purge_deletes_only_expired_state(cli, db, oauth, web_app, service, tenant):
    app_client, secret = service
    oauth.client_credentials(app_client, secret)
    oauth.client_credentials(app_client, secret)
    oauth.code_flow(web_app[0], "owner@acme.io", code_challenge=pkce_pair()[1],
                    code_challenge_method="S256")
    with tenant_scope(db.session, tenant.id):
        first = db.session.scalars(select(Grant.id)).first()
        db.session.execute(update(Grant).where(Grant.id == first).values(expires_at=utcnow()))
        db.session.execute(update(AuthorizationCode).values(expires_at=utcnow()))
        db.session.commit()
    result = cli.invoke(args=["purge", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["grants"] == 1 and counts["authorization_codes"] == 1
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalar(select(func.count()).select_from(Grant)) == 1


def test_database_trouble_on_the_token_endpoint_is_503_never_a_token():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://x@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    http = app.test_client()
    response = http.post("/t/acme/token", data={"grant_type": "client_credentials"},
                         headers=basic_auth("a", "b"))
    assert response.status_code == 503
    assert "access_token" not in response.get_data(as_text=True)
    introspection = http.post("/t/acme/introspect", data={"token": "x"},
                              headers=basic_auth("a", "b"))
    assert introspection.status_code == 503
    assert '"active"' not in introspection.get_data(as_text=True)
    assert "Traceback" not in introspection.get_data(as_text=True)
