"""Resource indicators (RFC 8707) and audiences (RFC 9068 §3): every access token names its
resource; the REST API accepts only its own; RFC 9728 metadata; tenants apart."""
import jwt as pyjwt
import pytest

from tests.helpers import REDIRECT_URI, Api, Callers, basic_auth, pkce_pair, query

API = "http://localhost:8080/t/acme/api/v1"
ORDERS = "https://orders.acme.example/api"


@pytest.fixture
def orders(callers):
    """The tenant registers its orders API, which accepts two scopes."""
    owner = callers.as_user("owner@acme.io")
    response = owner.post("/resources", json={"identifier": ORDERS, "name": "Orders",
                                              "scope": "orders:read orders:write"})
    assert response.status_code == 201, response.json
    return response.json


def claims(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


def test_without_resource_the_token_is_for_the_rest_api(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)["access_token"]
    assert claims(token)["aud"] == API
    assert oauth.me(token).status_code == 200


def test_with_resource_the_token_is_for_it_and_carries_only_its_scopes(
        oauth, factories, tenant, orders):
    app_client, secret = factories.client(tenant, scope="orders:read projects:read")
    body = oauth.client_credentials(app_client, secret, scope="orders:read projects:read")
    assert body["scope"] == "projects:read"  # without resource: the REST API's scopes
    token = oauth.token(app_client.client_id, secret, grant_type="client_credentials",
                        scope="orders:read projects:read", resource=ORDERS).json
    assert claims(token["access_token"])["aud"] == ORDERS and token["scope"] == "orders:read"
    refused = oauth.me(token["access_token"])  # a token for another resource
    assert refused.status_code == 401
    challenge = refused.headers["WWW-Authenticate"]
    assert 'error="invalid_token"' in challenge
    assert ('resource_metadata="http://localhost:8080/t/acme/.well-known/'
            'oauth-protected-resource"') in challenge
    introspected = oauth.http.post("/t/acme/introspect", data={"token": token["access_token"]},
                                   headers=basic_auth(app_client.client_id, secret)).json
    assert introspected["active"] and introspected["aud"] == ORDERS


@pytest.mark.parametrize("resource", ["https://unknown.example/api", "relative/path",
                                      ORDERS + "#fragment"])
def test_unknown_or_malformed_resource_is_invalid_target(oauth, service, orders, resource):
    app_client, secret = service
    response = oauth.token(app_client.client_id, secret, grant_type="client_credentials",
                           resource=resource)
    assert response.status_code == 400 and response.json["error"] == "invalid_target"


def test_one_resource_per_token(oauth, service, orders):
    app_client, secret = service
    response = oauth.http.post("/t/acme/token", headers=basic_auth(app_client.client_id, secret),
                               data={"grant_type": "client_credentials",
                                     "resource": [ORDERS, API]})
    assert response.json["error"] == "invalid_target"


def test_code_flow_keeps_its_resource(oauth, factories, tenant, orders):
    user = factories.user(tenant)
    app_client, secret = factories.client(
        tenant, grant_types=("authorization_code", "refresh_token"),
        scope="openid offline_access orders:read", redirect_uris=(REDIRECT_URI,))
    tokens = oauth.code_tokens(app_client, secret, user.email,
                               scope="openid offline_access orders:read", resource=ORDERS)
    assert claims(tokens["access_token"])["aud"] == ORDERS
    assert tokens["scope"] == "openid offline_access orders:read"
    refreshed = oauth.token(app_client.client_id, secret, grant_type="refresh_token",
                            refresh_token=tokens["refresh_token"])
    assert claims(refreshed.json["access_token"])["aud"] == ORDERS
    other = oauth.token(app_client.client_id, secret, grant_type="refresh_token",
                        refresh_token=refreshed.json["refresh_token"], resource=API)
    assert other.json["error"] == "invalid_target"


def test_unknown_resource_at_the_authorization_endpoint_goes_back_to_the_client(
        oauth, web_app, orders):
    app_client, _ = web_app
    _, challenge = pkce_pair()
    response = oauth.authorize(app_client, resource="https://unknown.example/",
                               code_challenge=challenge, code_challenge_method="S256")
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert response.headers["Location"].startswith(REDIRECT_URI)
    assert params["error"] == "invalid_target" and params["state"] == "xyz"


def test_protected_resource_metadata(client, tenant):
    for url in ("/t/acme/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/t/acme/api/v1"):
        metadata = client.get(url).json
        assert metadata["resource"] == API
        assert metadata["authorization_servers"] == ["http://localhost:8080/t/acme"]
        assert "users:read" in metadata["scopes_supported"]


def test_discovery_lists_the_scopes_resources_accept(client, orders):
    scopes = client.get("/t/acme/.well-known/openid-configuration").json["scopes_supported"]
    assert {"orders:read", "orders:write", "openid", "users:read"} <= set(scopes)


def test_resources_crud_and_permissions(callers, orders):
    owner, member = callers.as_user("owner@acme.io"), callers.as_new_user("user")
    assert member.get("/resources").status_code == 403
    assert owner.get("/resources").json["total"] == 1
    changed = owner.patch(f"/resources/{orders['id']}", json={"scope": "orders:read"})
    assert changed.status_code == 200 and changed.json["scope"] == "orders:read"
    duplicate = owner.post("/resources", json={"identifier": ORDERS, "name": "Again"})
    assert duplicate.status_code == 409
    builtin = owner.post("/resources", json={"identifier": API, "name": "Mine"})
    assert builtin.status_code == 422
    oidc = owner.post("/resources", json={"identifier": "https://x.example", "name": "X",
                                          "scope": "openid"})
    assert oidc.status_code == 422
    assert owner.delete(f"/resources/{orders['id']}").status_code == 204
    assert owner.get(f"/resources/{orders['id']}").status_code == 404


def test_an_admin_cannot_register_a_resource_handing_out_owner_permissions(callers):
    admin = callers.as_new_user("admin")
    response = admin.post("/resources", json={"identifier": "https://x.example", "name": "X",
                                              "scope": "tenant:write"})
    assert response.status_code == 403


def test_another_tenants_resource_is_unknown_here(client, factories, callers, orders):
    other, _ = factories.tenant("other", owner_email="owner@other.io")
    theirs = Callers(client, factories, other)
    assert theirs.as_user("owner@other.io").get(f"/resources/{orders['id']}").status_code == 404
    app_client, secret = theirs.service, theirs.service_secret
    response = client.post("/t/other/token", headers=basic_auth(app_client.client_id, secret),
                           data={"grant_type": "client_credentials", "resource": ORDERS})
    assert response.json["error"] == "invalid_target"
    token = client.post("/t/acme/token", data={"grant_type": "client_credentials"},
                        headers=basic_auth(callers.service.client_id,
                                           callers.service_secret)).json["access_token"]
    assert Api(client, "other", token).get("/me").status_code == 401
