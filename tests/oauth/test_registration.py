"""Dynamic client registration (RFC 7591) and management (RFC 7592): off by default, open
or gated by initial access tokens, the tenant's policy, registration access tokens,
tenants apart."""
import pytest
from sqlalchemy import select

from api.clients.models import Client
from api.db import tenant_scope
from tests.helpers import Callers

NATIVE = {"client_name": "CLI", "redirect_uris": ["http://127.0.0.1/callback"],
          "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"],
          "scope": "openid"}


@pytest.fixture
def owner(client, factories, tenant):
    return Callers(client, factories, tenant).as_user("owner@acme.io")


def set_mode(owner, mode, **policy):
    body = {"dynamic_client_registration": mode}
    if policy:
        body["client_registration_policy"] = policy
    response = owner.patch("/tenant", json=body)
    assert response.status_code == 200, response.json
    return response.json


def register(client, metadata, token=None, slug="acme"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/t/{slug}/register", json=metadata, headers=headers)


def test_off_by_default(client, owner):
    assert owner.get("/tenant").json["dynamic_client_registration"] == "off"
    assert register(client, NATIVE).status_code == 404
    discovery = client.get("/t/acme/.well-known/openid-configuration").json
    assert "registration_endpoint" not in discovery


def test_open_registration_and_management(client, owner, db, tenant):
    set_mode(owner, "open")
    discovery = client.get("/t/acme/.well-known/openid-configuration").json
    assert discovery["registration_endpoint"] == "http://localhost:8080/t/acme/register"
    response = register(client, NATIVE)
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert "client_secret" not in body and body["token_endpoint_auth_method"] == "none"
    assert body["require_pkce"] is True
    assert body["registration_client_uri"].endswith(f"/t/acme/register/{body['client_id']}")
    with tenant_scope(db.session, tenant.id):
        row = db.session.scalar(select(Client).where(Client.client_id == body["client_id"]))
        assert row.dynamically_registered
        assert row.registration_access_token_hash != body["registration_access_token"]
    listed = owner.get("/clients").json["items"]
    assert any(c["client_id"] == body["client_id"] and c["dynamically_registered"]
               for c in listed)
    events = owner.get("/audit-events", query_string={"action": "client.created"}).json
    assert any(e["details"].get("dynamically_registered") for e in events["items"])

    uri = body["registration_client_uri"].removeprefix("http://localhost:8080")
    auth = {"Authorization": f"Bearer {body['registration_access_token']}"}
    assert client.get(uri).status_code == 401
    read = client.get(uri, headers=auth)
    assert read.status_code == 200 and read.json["client_name"] == "CLI"
    updated = client.put(uri, headers=auth,
                         json={**NATIVE, "client_id": body["client_id"], "client_name": "CLI 2"})
    assert updated.status_code == 200, updated.json
    assert updated.json["client_name"] == "CLI 2"
    assert client.delete(uri, headers=auth).status_code == 204
    assert client.get(uri, headers=auth).status_code == 401


@pytest.mark.parametrize("change, error", [
    ({"redirect_uris": ["http://example.com/callback"]}, "invalid_redirect_uri"),
    ({"redirect_uris": ["http://localhost/callback"]}, "invalid_redirect_uri"),
    ({"grant_types": ["client_credentials"], "token_endpoint_auth_method":
      "client_secret_basic"}, "invalid_client_metadata"),
    ({"scope": "users:write"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    ({"require_pkce": False}, "invalid_client_metadata"),  # a public client always uses PKCE
])
def test_the_policy_holds(client, owner, change, error):
    set_mode(owner, "open")
    response = register(client, {**NATIVE, **change})
    assert response.status_code == 400 and response.json["error"] == error


def test_gated_by_initial_access_tokens(client, owner, callers_member):
    set_mode(owner, "initial_access_token")
    assert register(client, NATIVE).status_code == 401
    assert callers_member.post("/initial-access-tokens", json={}).status_code == 403
    created = owner.post("/initial-access-tokens", json={"description": "CI", "max_uses": 1})
    assert created.status_code == 201
    token = created.json["token"]
    assert register(client, NATIVE, token).status_code == 201
    assert register(client, NATIVE, token).status_code == 401  # single use
    listed = owner.get("/initial-access-tokens").json["items"]
    assert listed[0]["uses"] == 1 and "token" not in listed[0]
    multi = owner.post("/initial-access-tokens", json={"max_uses": None}).json
    assert register(client, NATIVE, multi["token"]).status_code == 201
    assert register(client, NATIVE, multi["token"]).status_code == 201
    assert owner.delete(f"/initial-access-tokens/{multi['id']}").status_code == 204
    assert register(client, NATIVE, multi["token"]).status_code == 401


def test_a_refused_registration_does_not_use_up_the_token(client, owner):
    set_mode(owner, "initial_access_token")
    token = owner.post("/initial-access-tokens", json={"max_uses": 1}).json["token"]
    assert register(client, {**NATIVE, "redirect_uris": ["http://x.example/"]},
                    token).status_code == 400
    assert register(client, NATIVE, token).status_code == 201


def test_never_across_tenants(client, factories, owner):
    set_mode(owner, "open")
    body = register(client, NATIVE).json
    other, _ = factories.tenant("other", owner_email="owner@other.io")
    theirs = Callers(client, factories, other).as_user("owner@other.io")
    set_mode(theirs, "initial_access_token")
    auth = {"Authorization": f"Bearer {body['registration_access_token']}"}
    assert client.get(f"/t/other/register/{body['client_id']}", headers=auth).status_code \
        == 401
    mine = owner.post("/initial-access-tokens", json={}).json["token"]
    assert register(client, NATIVE, mine, slug="other").status_code == 401


@pytest.fixture
def callers_member(client, factories, tenant):
    return Callers(client, factories, tenant).as_new_user("user")


@pytest.mark.parametrize("body", [
    '"x"', "[]", "null", '{"scope": 5}', '{"client_name": {"a": 1}}', '{"redirect_uris": [5]}',
    '{"redirect_uris": "http://127.0.0.1/cb"}', '{"jwks": "x"}', '{"grant_types": [null]}',
    '{"token_endpoint_auth_method": 7}', '{"redirect_uris": ["http://[::1]:x/cb"]}',
    '{"redirect_uris": ["http://\u00e9.example/cb"]}', '{"require_pkce": "yes"}',
])
def test_malformed_metadata_is_a_400_never_a_500(client, owner, body):
    set_mode(owner, "open")
    response = client.post("/t/acme/register", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_client_metadata", "invalid_request",
                                      "invalid_redirect_uri")


def test_the_policy_never_allows_the_password_grant(owner):
    response = owner.patch("/tenant", json={"client_registration_policy": {
        "grant_types": ["password"], "scope": "openid"}})
    assert response.status_code == 422


def test_initial_access_tokens_within_the_callers_permissions(client, factories, tenant,
                                                              owner):
    set_mode(owner, "initial_access_token", grant_types=["authorization_code"],
             scope="openid tenant:write")
    admin = Callers(client, factories, tenant).as_new_user("admin")
    assert admin.post("/initial-access-tokens", json={}).status_code == 403
    created = owner.post("/initial-access-tokens", json={}).json
    assert admin.delete(f"/initial-access-tokens/{created['id']}").status_code == 403
    assert owner.delete(f"/initial-access-tokens/{created['id']}").status_code == 204


LOGOUT_AND_CORS = {"post_logout_redirect_uris": ["https://app.example/signed-out"],
                   "backchannel_logout_uri": "https://app.example/backchannel-logout",
                   "backchannel_logout_session_required": True,
                   "allowed_cors_origins": ["https://app.example"]}


def register_and_replace(client, db, tenant, metadata: dict) -> tuple[dict, dict, dict]:
    """Register with ``metadata``; returns the answer, what the client's row stored of that
    metadata, and the answer to a replacement (RFC 7592 §2.2) that leaves it out."""
    response = register(client, {**NATIVE, **metadata})
    assert response.status_code == 201, response.json
    with tenant_scope(db.session, tenant.id):
        row = db.session.scalar(select(Client)
                                .where(Client.client_id == response.json["client_id"]))
        stored = {name: getattr(row, name) for name in metadata}
    uri = response.json["registration_client_uri"].removeprefix("http://localhost:8080")
    auth = {"Authorization": f"Bearer {response.json['registration_access_token']}"}
    replaced = client.put(uri, headers=auth, json={**NATIVE, "client_id":
                                                   response.json["client_id"]})
    assert replaced.status_code == 200, replaced.json
    return response.json, stored, replaced.json


def test_registration_takes_the_logout_and_cors_metadata(client, owner, db, tenant):
    set_mode(owner, "open")
    registered, stored, replaced = register_and_replace(client, db, tenant, LOGOUT_AND_CORS)
    assert {name: registered[name] for name in LOGOUT_AND_CORS} == LOGOUT_AND_CORS
    assert stored == LOGOUT_AND_CORS
    assert replaced["post_logout_redirect_uris"] == []
    assert "backchannel_logout_uri" not in replaced  # RFC 7592 §2.2: replaced whole


def test_registration_takes_the_display_metadata(client, owner, db, tenant):
    """What the consent page shows (RFC 7591 §2), stored, returned, and replaced whole."""
    set_mode(owner, "open")
    display = {"logo_uri": "https://app.example/logo.png", "client_uri": "https://app.example",
               "policy_uri": "https://app.example/privacy", "tos_uri": "https://app.example/tos"}
    registered, stored, replaced = register_and_replace(client, db, tenant, display)
    assert {name: registered[name] for name in display} == display
    assert stored == display
    assert not set(display) & set(replaced)


@pytest.mark.parametrize("metadata", [
    {"logo_uri": "http://evil.example/logo.png"},
    {"client_uri": "javascript:alert(1)"},
    {"post_logout_redirect_uris": ["http://app.example/signed-out"]},
    {"backchannel_logout_uri": "http://app.example/logout"},
    {"backchannel_logout_uri": "https://user:pass@app.example/logout"},
    {"backchannel_logout_uri": ["https://app.example/logout"]},
    {"allowed_cors_origins": ["https://app.example/path"]},
    {"allowed_cors_origins": ["*"]},
    {"backchannel_logout_session_required": "yes"},
])
def test_logout_and_cors_metadata_follow_the_uri_rules(client, owner, metadata):
    set_mode(owner, "open")
    response = register(client, {**NATIVE, **metadata})
    assert response.status_code == 400
    assert response.json["error"] in ("invalid_client_metadata", "invalid_redirect_uri")
