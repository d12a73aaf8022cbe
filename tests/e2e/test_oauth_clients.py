"""Third-party OAuth client libraries against the live API under uWSGI.

requests-oauthlib and Authlib's requests client speak the protocol; PyJWT (not
joserfc, which signs) verifies every JWT against the published JWKS.
"""
import jwt as pyjwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuth2Session

from tests.live import CALLBACK


@pytest.fixture(autouse=True)
def loopback_http_is_fine(monkeypatch):
    """requests-oauthlib insists on https; these servers are on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def discover(live) -> dict:
    return requests.get(f"{live.issuer}/.well-known/openid-configuration", timeout=5).json()


def verify_jwt(live, token: str, audience: str, typ: str = "at+jwt") -> dict:
    """Verify with PyJWT using the key the JWKS publishes for the token's kid."""
    assert pyjwt.get_unverified_header(token)["typ"] == typ
    signing_key = pyjwt.PyJWKClient(discover(live)["jwks_uri"]).get_signing_key_from_jwt(token)
    return pyjwt.decode(token, signing_key.key, algorithms=["RS256", "ES256"],
                        audience=audience, issuer=live.issuer)


def get_me(live, access_token):
    return requests.get(f"{live.issuer}/api/v1/me", timeout=5,
                        headers={"Authorization": f"Bearer {access_token}"})


def test_client_credentials_with_requests_oauthlib(live):
    client_id, secret = live.clients["service"]
    session = RequestsOAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(discover(live)["token_endpoint"], client_id=client_id,
                                client_secret=secret)
    claims = verify_jwt(live, token["access_token"], audience=client_id)
    assert claims["sub"] == client_id and claims["scope"] == "projects:read users:read"
    assert get_me(live, token["access_token"]).json()["type"] == "client"


def test_password_grant_and_refresh_with_requests_oauthlib(live):
    client_id, secret = live.clients["legacy"]
    token_url = discover(live)["token_endpoint"]
    session = RequestsOAuth2Session(client=LegacyApplicationClient(client_id=client_id))
    token = session.fetch_token(token_url, username="user1@live.example",
                                password=live.password, client_id=client_id,
                                client_secret=secret)
    verify_jwt(live, token["access_token"], audience=client_id)
    refreshed = session.refresh_token(token_url, refresh_token=token["refresh_token"],
                                      auth=(client_id, secret))
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert get_me(live, refreshed["access_token"]).status_code == 200
    reuse = requests.post(token_url, auth=(client_id, secret), timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert get_me(live, refreshed["access_token"]).status_code == 401


def sign_in_through_frontend(live, browser: requests.Session, authorization_url: str,
                             email: str) -> str:
    """Play the browser and the frontend; returns the client's callback URL."""
    to_frontend = browser.get(authorization_url, allow_redirects=False, timeout=5)
    assert to_frontend.status_code == 302
    challenge = to_frontend.headers["Location"].split("challenge=")[1]
    api = f"{live.issuer}/sign-in/challenges/{challenge}"
    headers = {"X-Frontend-Key": live.frontend_key}
    response = requests.post(f"{api}/login", json={"email": email, "password": live.password},
                             headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    step = response.json()
    if step["consent_required"]:
        step = requests.post(f"{api}/consent", json={"approve": True}, headers=headers,
                             timeout=5).json()
    back = browser.get(step["redirect_to"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


def test_authorization_code_with_pkce_using_authlib_client(live):
    client_id, secret = live.clients["web"]
    metadata = discover(live)
    session = OAuth2Session(client_id, secret, scope="openid email projects:read",
                            redirect_uri=CALLBACK, code_challenge_method="S256")
    verifier = "v" * 64
    url, state = session.create_authorization_url(metadata["authorization_endpoint"],
                                                  code_verifier=verifier, nonce="live-nonce")
    callback = sign_in_through_frontend(live, requests.Session(), url, "user2@live.example")
    assert f"iss={requests.utils.quote(live.issuer, safe='')}" in callback
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                code_verifier=verifier, state=state)
    id_claims = verify_jwt(live, token["id_token"], audience=client_id, typ="JWT")
    assert id_claims["nonce"] == "live-nonce" and id_claims["email"] == "user2@live.example"
    access = verify_jwt(live, token["access_token"], audience=client_id)
    assert access["scope"] == "openid email projects:read"
    userinfo = requests.get(metadata["userinfo_endpoint"], timeout=5,
                            headers={"Authorization": f"Bearer {token['access_token']}"})
    assert userinfo.json()["email"] == "user2@live.example"


def test_public_client_pkce_refresh_and_revocation_with_authlib_client(live):
    client_id, _ = live.clients["spa"]
    metadata = discover(live)
    session = OAuth2Session(client_id, scope="openid projects:read", redirect_uri=CALLBACK,
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = "p" * 64
    url, state = session.create_authorization_url(metadata["authorization_endpoint"],
                                                  code_verifier=verifier)
    callback = sign_in_through_frontend(live, requests.Session(), url, "user3@live.example")
    token = session.fetch_token(metadata["token_endpoint"], authorization_response=callback,
                                code_verifier=verifier, state=state)
    refreshed = session.refresh_token(metadata["token_endpoint"],
                                      refresh_token=token["refresh_token"])
    assert get_me(live, refreshed["access_token"]).status_code == 200
    session.revoke_token(metadata["revocation_endpoint"], refreshed["refresh_token"],
                         token_type_hint="refresh_token")
    assert get_me(live, refreshed["access_token"]).status_code == 401


def test_introspection_with_authlib_client(live):
    service_id, service_secret = live.clients["service"]
    metadata = discover(live)
    session = OAuth2Session(service_id, service_secret)
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    active = session.introspect_token(metadata["introspection_endpoint"],
                                      token["access_token"]).json()
    assert active["active"] is True and active["client_id"] == service_id
    session.revoke_token(metadata["revocation_endpoint"], token["access_token"])
    inactive = session.introspect_token(metadata["introspection_endpoint"],
                                        token["access_token"]).json()
    assert inactive == {"active": False}
