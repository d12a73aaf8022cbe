"""What browsers may read (CORS) and how userinfo takes its token: single-page apps call the
tenant REST API from registered origins only, never with credentials, and read RFC 6750
errors; userinfo takes the token in the header or a form body (RFC 6750 §2.2), never the
query."""
import pytest

SPA_ORIGIN = "http://127.0.0.1:5173"
LISTED = "https://dashboard.example"


@pytest.fixture
def spa(factories, tenant):
    """A public client whose redirect URI is on the SPA's origin, and a confidential one that
    lists another origin."""
    factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                     redirect_uris=(f"{SPA_ORIGIN}/callback",), public=True)
    return factories.client(tenant, scope="projects:read users:read",
                            allowed_cors_origins=[LISTED])


def preflight(client, path, origin, method="GET"):
    return client.options(path, headers={"Origin": origin,
                                         "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": "authorization"})


@pytest.mark.parametrize("origin", [SPA_ORIGIN, LISTED])
def test_registered_origins_call_the_rest_api(client, oauth, spa, origin):
    token = oauth.client_credentials(*spa)["access_token"]
    answer = preflight(client, "/t/acme/api/v1/me", origin)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == origin
    assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in answer.headers["Access-Control-Allow-Methods"].split(", ")
    projects = preflight(client, "/t/acme/api/v1/projects", origin, "POST")
    assert "POST" in projects.headers["Access-Control-Allow-Methods"].split(", ")
    me = client.get("/t/acme/api/v1/me", headers={"Origin": origin,
                                                  "Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.headers["Access-Control-Allow-Origin"] == origin
    assert "Origin" in me.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in me.headers


def test_errors_are_readable_with_their_challenge(client, spa):
    answer = client.get("/t/acme/api/v1/me", headers={"Origin": SPA_ORIGIN,
                                                      "Authorization": "Bearer nonsense"})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "WWW-Authenticate" in answer.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("path", ["/t/acme/api/v1/me", "/t/acme/token", "/t/acme/userinfo"])
def test_other_origins_get_nothing(client, spa, path):
    for answer in (preflight(client, path, "https://evil.example", "POST"),
                   client.get(path, headers={"Origin": "https://evil.example"})):
        assert "Access-Control-Allow-Origin" not in answer.headers


def test_token_preflights_are_answered_and_authorize_sends_nothing(client, spa, web_app):
    answer = preflight(client, "/t/acme/token", SPA_ORIGIN, "POST")
    assert answer.headers["Access-Control-Allow-Origin"] == SPA_ORIGIN
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    authorize = client.get("/t/acme/authorize", headers={"Origin": SPA_ORIGIN}, query_string={
        "client_id": web_app[0].client_id, "response_type": "code"})
    assert "Access-Control-Allow-Origin" not in authorize.headers


def test_a_confidential_clients_redirect_uri_is_no_origin(client, factories, tenant):
    factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                     redirect_uris=("https://server.example/cb",))
    answer = preflight(client, "/t/acme/api/v1/me", "https://server.example")
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_public_metadata_is_open_to_any_origin(client, tenant):
    for path in ("/t/acme/.well-known/openid-configuration", "/t/acme/jwks.json",
                 "/.well-known/oauth-authorization-server/t/acme"):
        answer = client.get(path, headers={"Origin": "https://anyone.example"})
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_allowed_origins_are_origins_only(oauth, factories, tenant):
    from api.rbac.permissions import ALL
    token = oauth.client_credentials(*factories.client(tenant, scope=" ".join(ALL)))
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    for bad in ("https://app.example/path", "https://*.example", "ftp://app.example",
                "http://app.example", "https://app.example:443", "https://user@app.example"):
        answer = oauth.http.post("/t/acme/api/v1/clients", headers=headers, json={
            "client_name": "x", "grant_types": ["client_credentials"],
            "allowed_cors_origins": [bad]})
        assert answer.status_code == 422, bad
        assert "allowed_cors_origins" in answer.json["errors"]
    created = oauth.http.post("/t/acme/api/v1/clients", headers=headers, json={
        "client_name": "x", "grant_types": ["client_credentials"],
        "allowed_cors_origins": ["https://app.example:8443", "http://localhost:3000"]})
    assert created.status_code == 201
    assert created.json["allowed_cors_origins"] == ["https://app.example:8443",
                                                    "http://localhost:3000"]


@pytest.fixture
def user_token(oauth, web_app):
    client, secret = web_app
    return oauth.code_tokens(client, secret, "owner@acme.io", scope="openid email")


def test_userinfo_takes_the_token_from_a_form_body(client, user_token):
    answer = client.post("/t/acme/userinfo", data={"access_token": user_token["access_token"]})
    assert answer.status_code == 200 and answer.json["email"] == "owner@acme.io"


def test_userinfo_never_takes_it_from_the_query_or_twice(client, user_token):
    token = user_token["access_token"]
    assert client.get("/t/acme/userinfo", query_string={"access_token": token}).status_code \
        == 401
    twice = client.post("/t/acme/userinfo", data={"access_token": token},
                        headers={"Authorization": f"Bearer {token}"})
    assert twice.status_code == 400 and twice.json["error"] == "invalid_request"
    assert client.post("/t/acme/userinfo", json={"access_token": token}).status_code == 401


def test_the_rest_api_does_not_take_a_form_body_token(client, user_token):
    answer = client.post("/t/acme/api/v1/projects",
                         data={"access_token": user_token["access_token"], "name": "x"})
    assert answer.status_code == 401
