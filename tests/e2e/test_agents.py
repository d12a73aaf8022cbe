"""Clients and agents over HTTP against uWSGI, with third-party clients: the device flow
(Authlib's client, Chromium approving on the frontend's page), private_key_jwt (Authlib's
PrivateKeyJWT, RS256 and ES256), a jwks_uri on a private address, dynamic registration +
PKCE + a resource indicator as an MCP client does it, RFC 7592, token exchange."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import jwt as pyjwt
import pytest
import requests
import sqlalchemy as sa
from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc.jwk import ECKey, RSAKey

from tests.helpers import (browser_sign_in, discover, owner_api, pkce_pair, query, shot,
                           sign_in_through_frontend)
from tests.live import recording_server, uwsgi

DEVICE = "urn:ietf:params:oauth:grant-type:device_code"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: The live servers' TENANT_CACHE_SECONDS (the default): how stale a setting may be.
TENANT_CACHE_SECONDS = 5
MCP_RESOURCE = "https://mcp.live.example/mcp"


def create_client(live, **metadata):
    response = owner_api(live).post(f"{live.issuer}/api/v1/clients", timeout=10, json={
        "client_name": f"agent {uuid.uuid4().hex[:6]}", **metadata})
    assert response.status_code == 201, response.text
    return response.json()


# -- Device flow --------------------------------------------------------------------------

@pytest.fixture
def device_client(live_stack):
    created = create_client(live_stack.tenant, grant_types=[DEVICE, "refresh_token"],
                            scope="openid offline_access projects:read",
                            token_endpoint_auth_method="none")
    return OAuth2Session(created["client_id"], scope="openid projects:read")


def start_device(session, issuer) -> dict:
    response = session.post(discover_at(issuer)["device_authorization_endpoint"],
                            data={"client_id": session.client_id, "scope": session.scope},
                            withhold_token=True,
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def discover_at(issuer) -> dict:
    return requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()


def poll(session, issuer, device_code):
    return session.fetch_token(discover_at(issuer)["token_endpoint"], grant_type=DEVICE,
                               device_code=device_code)


def approve_in_browser(page, live_stack, body, email, allow=True):
    page.goto(body["verification_uri_complete"])
    assert page.input_value("input[name=user_code]") == body["user_code"]
    shot(page, "device-code")
    page.click("button[type=submit]")
    browser_sign_in(page, email, live_stack.tenant.password)
    page.wait_for_selector("text=Connect a device?")
    shot(page, "device-consent")
    page.click("button[name=allow]" if allow else "button[name=deny]")
    page.wait_for_selector("h1:has-text('Device connected')" if allow
                           else "h1:has-text('Access denied')")


def test_device_flow_approved_in_the_browser(page, live_stack, device_client):
    body = start_device(device_client, live_stack.issuer)
    assert body["verification_uri"] == f"{live_stack.frontend_url}/t/live/device"
    with pytest.raises(OAuthError) as pending:
        poll(device_client, live_stack.issuer, body["device_code"])
    assert pending.value.error == "authorization_pending"
    approve_in_browser(page, live_stack, body, "user1@live.example")
    shot(page, "device-connected")
    time.sleep(body["interval"])
    token = poll(device_client, live_stack.issuer, body["device_code"])
    assert token["scope"] == "openid projects:read"
    me = requests.get(f"{live_stack.issuer}/api/v1/me", timeout=5,
                      headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert me["user"]["email"] == "user1@live.example"
    with pytest.raises(OAuthError) as again:
        poll(device_client, live_stack.issuer, body["device_code"])
    assert again.value.error == "invalid_grant"


def test_device_flow_denied_in_the_browser(page, live_stack, device_client):
    body = start_device(device_client, live_stack.issuer)
    approve_in_browser(page, live_stack, body, "user2@live.example", allow=False)
    with pytest.raises(OAuthError) as denied:
        poll(device_client, live_stack.issuer, body["device_code"])
    assert denied.value.error == "access_denied"


def test_an_expired_device_code(page, live_stack, live_database, device_client):
    body = start_device(device_client, live_stack.issuer)
    engine = sa.create_engine(live_database.admin_url)
    with engine.begin() as connection:  # ten minutes later, as the operator sees every tenant
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SET LOCAL app.all_tenants = 'on'"))
        connection.execute(sa.text("UPDATE device_authorizations SET expires_at = :past "
                                   "WHERE status = 'pending'"),
                           {"past": datetime.now(timezone.utc) - timedelta(seconds=1)})
    engine.dispose()
    with pytest.raises(OAuthError) as expired:
        poll(device_client, live_stack.issuer, body["device_code"])
    assert expired.value.error == "expired_token"
    page.goto(body["verification_uri_complete"])
    page.click("button[type=submit]")
    page.wait_for_selector("text=That code is not valid")


# -- private_key_jwt ------------------------------------------------------------------------

@pytest.fixture(params=["RS256", "ES256"])
def signing_key(request):
    key = (RSAKey.generate_key(2048) if request.param == "RS256"
           else ECKey.generate_key("P-256"))
    key.ensure_kid()
    return request.param, key


def test_private_key_jwt_with_authlib(live, signing_key):
    alg, key = signing_key
    created = create_client(live, grant_types=["client_credentials"], scope="projects:read",
                            token_endpoint_auth_method="private_key_jwt",
                            jwks={"keys": [key.as_dict(private=False)]})
    assert "client_secret" not in created or created["client_secret"] is None
    token_url = discover(live)["token_endpoint"]
    assert "private_key_jwt" in discover(live)["token_endpoint_auth_methods_supported"]
    session = OAuth2Session(created["client_id"], key,
                            token_endpoint_auth_method=PrivateKeyJWT(
                                token_url, alg=alg, headers={"kid": key.kid}))
    token = session.fetch_token(token_url, grant_type="client_credentials")
    assert token["scope"] == "projects:read"

    replayed = private_key_jwt_sign(key, created["client_id"], token_url, alg=alg,
                                    header={"kid": key.kid})
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": replayed}
    assert requests.post(token_url, data=form, timeout=10).status_code == 200
    again = requests.post(token_url, data=form, timeout=10)
    assert again.status_code in (400, 401) and again.json()["error"] == "invalid_client"

    elsewhere = private_key_jwt_sign(key, created["client_id"], "https://other.example/token",
                                     alg=alg, header={"kid": key.kid})
    wrong_aud = requests.post(token_url, timeout=10, data={**form,
                                                           "client_assertion": elsewhere})
    assert wrong_aud.json()["error"] == "invalid_client"


def test_a_jwks_uri_on_a_private_address(live, live_database):
    key = RSAKey.generate_key(2048)
    key.ensure_kid()
    with recording_server(document={"keys": [key.as_dict(private=False)]}) as (url, fetched):
        jwks_uri = f"{url}/jwks.json"  # the client's own, on loopback
        created = create_client(live, grant_types=["client_credentials"], scope="projects:read",
                                token_endpoint_auth_method="private_key_jwt", jwks_uri=jwks_uri)

        def fetch(base_url):  # the assertion names the issuer's token endpoint either way
            session = OAuth2Session(created["client_id"], key, token_endpoint_auth_method=(
                PrivateKeyJWT(f"{live.issuer}/token", headers={"kid": key.kid})))
            return session.fetch_token(f"{base_url}/t/live/token",
                                       grant_type="client_credentials")

        with pytest.raises(OAuthError) as refused:  # OUTBOUND_ALLOW_PRIVATE is off
            fetch(live.base_url)
        assert refused.value.error == "invalid_client"  # the uniform 401: the log says why
        assert fetched == []
        with uwsgi("api", {**live_database.env, "OUTBOUND_ALLOW_PRIVATE": "true",
                           "PUBLIC_API_URL": live.base_url}) as allowed_url:
            assert fetch(allowed_url)["scope"] == "projects:read"
        assert [request["path"] for request in fetched] == ["/jwks.json"]


# -- Dynamic registration + PKCE + resource indicator, as an MCP client ---------------------

def test_mcp_style_client(live):
    api = owner_api(live)
    assert api.patch(f"{live.issuer}/api/v1/tenant", timeout=10, json={
        "dynamic_client_registration": "open",
        "client_registration_policy": {"grant_types": ["authorization_code", "refresh_token"],
                                       "scope": "openid offline_access mcp:tools"}}).ok
    resource = api.post(f"{live.issuer}/api/v1/resources", timeout=10, json={
        "identifier": MCP_RESOURCE, "name": "MCP server", "scope": "mcp:tools"})
    assert resource.status_code == 201, resource.text
    time.sleep(TENANT_CACHE_SECONDS + 0.5)  # until every API process has read the settings
    try:
        mcp_client_flow(live)
    finally:
        api.patch(f"{live.issuer}/api/v1/tenant", json={"dynamic_client_registration": "off"},
                  timeout=10)


def mcp_client_flow(live):
    # 1. A 401 names the protected resource metadata, which names the authorization server.
    unauthorized = requests.get(f"{live.issuer}/api/v1/me", timeout=5)
    metadata_url = unauthorized.headers["WWW-Authenticate"].split('resource_metadata="')[1]
    protected = requests.get(metadata_url.split('"')[0], timeout=5).json()
    issuer = protected["authorization_servers"][0]
    metadata = f"{issuer}/.well-known/oauth-authorization-server".replace(
        f"/t/{live.slug}/.well-known/oauth-authorization-server",
        f"/.well-known/oauth-authorization-server/t/{live.slug}")
    server = requests.get(metadata, timeout=5).json()
    assert server["registration_endpoint"] and "S256" in server[
        "code_challenge_methods_supported"]
    # 2. Dynamic registration: a public native client on a loopback redirect URI.
    registered = requests.post(server["registration_endpoint"], timeout=10, json={
        "client_name": "MCP agent", "redirect_uris": ["http://127.0.0.1/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "none", "scope": "openid offline_access mcp:tools"})
    assert registered.status_code == 201, registered.text
    client = registered.json()
    # 3. Authorization code + PKCE + resource, redirect on any loopback port (RFC 8252).
    redirect_uri = "http://127.0.0.1:53682/callback"
    verifier, challenge = pkce_pair()
    url = add_params_to_uri(server["authorization_endpoint"], {
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
        "scope": "openid offline_access mcp:tools", "state": "s1", "resource": MCP_RESOURCE,
        "code_challenge": challenge, "code_challenge_method": "S256"})
    callback = sign_in_through_frontend(live, requests.Session(), url, "user3@live.example")
    assert callback.startswith(redirect_uri)
    token = requests.post(server["token_endpoint"], timeout=10, data={
        "grant_type": "authorization_code", "code": query(callback)["code"],
        "redirect_uri": redirect_uri, "client_id": client["client_id"],
        "code_verifier": verifier, "resource": MCP_RESOURCE}).json()
    claims = pyjwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["aud"] == MCP_RESOURCE and token["scope"] == "openid offline_access mcp:tools"
    # Not a token for the tenant REST API.
    assert requests.get(f"{live.issuer}/api/v1/me", timeout=5, headers={
        "Authorization": f"Bearer {token['access_token']}"}).status_code == 401
    # 4. RFC 7592: read, update, delete with the registration access token.
    manage = {"Authorization": f"Bearer {client['registration_access_token']}"}
    uri = client["registration_client_uri"]
    assert requests.get(uri, headers=manage, timeout=5).json()["client_name"] == "MCP agent"
    updated = requests.put(uri, headers=manage, timeout=5, json={
        "client_id": client["client_id"], "client_name": "MCP agent 2",
        "redirect_uris": ["http://127.0.0.1/callback"], "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code"], "scope": "openid mcp:tools"})
    assert updated.status_code == 200 and updated.json()["client_name"] == "MCP agent 2"
    assert requests.delete(uri, headers=manage, timeout=5).status_code == 204
    assert requests.get(uri, headers=manage, timeout=5).status_code == 401


# -- Token exchange -------------------------------------------------------------------------

def test_token_exchange_allowed_and_refused(live):
    gateway = create_client(live, grant_types=[EXCHANGE], scope="projects:read")
    client_id, secret = live.clients["legacy"]
    subject = requests.post(f"{live.issuer}/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "password", "username": "user0@live.example",
        "password": live.password, "scope": "projects:read"}).json()["access_token"]
    form = {"grant_type": EXCHANGE, "subject_token": subject,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}
    auth = (gateway["client_id"], gateway["client_secret"])
    allowed = requests.post(f"{live.issuer}/token", auth=auth, data=form, timeout=10)
    assert allowed.status_code == 200, allowed.text
    claims = pyjwt.decode(allowed.json()["access_token"], options={"verify_signature": False})
    assert claims["act"]["client_id"] == gateway["client_id"]
    refused = requests.post(f"{live.issuer}/token", auth=auth, timeout=10,
                            data={**form, "scope": "projects:write"})
    assert refused.json()["error"] == "invalid_scope"
    unregistered = requests.post(f"{live.issuer}/token", auth=(client_id, secret), data=form,
                                 timeout=10)
    assert unregistered.json()["error"] == "unauthorized_client"
