"""Bearer protection of the tenant API (RFC 6750) and userinfo (OIDC Core §5.3)."""
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

import api.oauth.tokens as tokens_module


def test_me_with_a_user_token(oauth, web_app, tenant):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io", scope="openid users:read")
    me = oauth.me(tokens["access_token"])
    assert me.status_code == 200
    assert me.json["type"] == "user" and me.json["roles"] == ["owner"]
    assert me.json["permissions"] == ["users:read"]
    assert me.json["tenant"]["slug"] == "acme"


def test_me_with_a_client_token(oauth, service):
    app_client, secret = service
    me = oauth.me(oauth.client_credentials(app_client, secret)["access_token"]).json
    assert me["type"] == "client" and me["user"] is None
    assert me["client"]["client_id"] == app_client.client_id
    assert me["permissions"] == ["projects:read", "users:read"]


def test_missing_token_is_401_with_a_bearer_challenge(client, tenant):
    response = client.get("/t/acme/api/v1/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_in_the_query_string_is_not_accepted(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)["access_token"]
    response = oauth.http.get("/t/acme/api/v1/me", query_string={"access_token": token})
    assert response.status_code == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30."])
def test_invalid_tokens_are_invalid_token(oauth, tenant, token):
    response = oauth.me(token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_token_signed_by_another_key_is_refused(oauth, service, tenant):
    app_client, secret = service
    genuine = oauth.client_credentials(app_client, secret)["access_token"]
    claims = tokens_module._unverified_segment(genuine, 1)
    header = tokens_module._unverified_segment(genuine, 0)
    forged = jwt.encode(header, claims, RSAKey.generate_key(2048))
    assert oauth.me(forged).status_code == 401


def test_a_token_of_another_tenant_is_refused(oauth, factories, service):
    other, _ = factories.tenant("other")
    foreign_client, foreign_secret = factories.client(other)
    oauth.base = "/t/other"
    foreign = oauth.client_credentials(foreign_client, foreign_secret)["access_token"]
    assert oauth.me(foreign).status_code == 200
    oauth.base = "/t/acme"
    assert oauth.me(foreign).status_code == 401


def test_an_expired_token_is_refused(monkeypatch, oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)["access_token"]
    later = tokens_module.time.time() + 3601
    monkeypatch.setattr(tokens_module.time, "time", lambda: later)
    assert oauth.me(token).status_code == 401


def test_userinfo_returns_sub_email_and_tenant(oauth, web_app, tenant):
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "owner@acme.io", scope="openid email")
    info = oauth.http.get("/t/acme/userinfo",
                          headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200
    assert info.json["email"] == "owner@acme.io" and info.json["tenant"] == "acme"
    assert info.json["tid"] == str(tenant.id) and info.json["sub"]


def test_userinfo_without_openid_scope_is_insufficient_scope(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)["access_token"]
    response = oauth.http.get("/t/acme/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
