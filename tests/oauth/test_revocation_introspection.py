"""Revocation (RFC 7009) and introspection (RFC 7662)."""
import pytest

from tests.helpers import Callers, basic_auth


@pytest.fixture
def resource_server(factories, tenant):
    """A client an admin registered with tokens:introspect: it may introspect any token."""
    return factories.client(tenant, scope="tokens:introspect")


def introspect(oauth, service, token, **form):
    app_client, secret = service
    return oauth.http.post("/t/acme/introspect", data={"token": token, **form},
                           headers=basic_auth(app_client.client_id, secret))


def revoke(oauth, app_client, secret, token, **form):
    return oauth.http.post("/t/acme/revoke", data={"token": token, **form},
                           headers=basic_auth(app_client.client_id, secret))


def test_introspection_describes_an_active_access_token(oauth, resource_server, web_app, tenant):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io")
    response = introspect(oauth, resource_server, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["active"] is True and body["client_id"] == app_client.client_id
    assert body["username"] == "owner@acme.io" and body["scope"] == tokens["scope"]
    assert body["tid"] == str(tenant.id) and body["iss"] == "http://localhost:8080/t/acme"


def test_introspection_of_a_refresh_token(oauth, resource_server, web_app):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io")
    body = introspect(oauth, resource_server, tokens["refresh_token"],
                      token_type_hint="refresh_token").json
    assert body["active"] is True and body["token_type"] == "refresh_token"


def test_introspection_requires_client_authentication(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)["access_token"]
    response = oauth.http.post("/t/acme/introspect", data={"token": token})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_a_client_introspects_its_own_tokens(oauth, service, web_app):
    app_client, secret = service
    own = oauth.client_credentials(app_client, secret)["access_token"]
    body = introspect(oauth, service, own).json
    assert body["active"] is True and body["client_id"] == app_client.client_id
    web, web_secret = web_app
    tokens = oauth.code_tokens(web, web_secret, "owner@acme.io", scope="openid email")
    assert introspect(oauth, web_app, tokens["access_token"]).json["active"] is True


def test_other_clients_tokens_are_inactive_to_a_client_that_is_no_resource_server(
        oauth, service, web_app):
    """RFC 7662 §4: no client reads another client's user tokens (and their emails)."""
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io", scope="openid email")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(oauth, service, token).json == {"active": False}


def test_introspection_permission_is_the_admins_to_grant(app, factories, tenant):
    callers = Callers(app.test_client(), factories, tenant)
    body = {"client_name": "Gateway", "grant_types": ["client_credentials"],
            "scope": "tokens:introspect"}
    assert callers.as_user("owner@acme.io").post("/clients", json=body).status_code == 201
    admin = callers.as_new_user("admin")
    assert admin.post("/clients", json=body).status_code == 201
    assert "tokens:introspect" in admin.get("/me").json["permissions"]


@pytest.mark.parametrize("token", ["unknown", "a.b.c", ""])
def test_unknown_tokens_are_inactive(oauth, service, token):
    assert introspect(oauth, service, token).json == {"active": False}


def test_foreign_tokens_are_inactive(oauth, factories, resource_server):
    other, _ = factories.tenant("other")
    foreign_client, foreign_secret = factories.client(other)
    oauth.base = "/t/other"
    foreign = oauth.client_credentials(foreign_client, foreign_secret)["access_token"]
    oauth.base = "/t/acme"
    assert introspect(oauth, resource_server, foreign).json == {"active": False}


def test_revoking_an_access_token_takes_effect_at_once(oauth, resource_server, web_app):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io")
    response = revoke(oauth, app_client, secret, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert oauth.me(tokens["access_token"]).status_code == 401
    assert introspect(oauth, resource_server, tokens["access_token"]).json == {"active": False}
    refreshed = oauth.token(app_client.client_id, secret, grant_type="refresh_token",
                            refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200  # only the access token was revoked


def test_revoking_a_refresh_token_kills_the_grants_access_tokens(oauth, resource_server, web_app):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io")
    assert revoke(oauth, app_client, secret, tokens["refresh_token"],
                  token_type_hint="refresh_token").status_code == 200
    assert oauth.me(tokens["access_token"]).status_code == 401
    assert introspect(oauth, resource_server, tokens["refresh_token"]).json == {"active": False}


def test_a_client_cannot_revoke_another_clients_token(oauth, service, web_app):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io")
    other, other_secret = service
    response = revoke(oauth, other, other_secret, tokens["access_token"])
    assert response.status_code == 400
    assert oauth.me(tokens["access_token"]).status_code == 200


def test_revoking_an_unknown_token_is_ok(oauth, service):
    app_client, secret = service
    assert revoke(oauth, app_client, secret, "never-issued").status_code == 200
