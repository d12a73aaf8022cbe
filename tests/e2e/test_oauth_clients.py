"""Third-party OAuth client libraries against the live API under uWSGI.

requests-oauthlib, Authlib's requests client and pyoidc speak the protocol; PyJWT (not
joserfc, which signs) verifies every JWT against the published JWKS.
"""
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests_oauthlib import OAuth2Session as RequestsOAuth2Session

from tests.helpers import discover, get_me, pkce_pair, sign_in_through_frontend, verify_jwt
from tests.live import CALLBACK


@pytest.fixture(autouse=True)
def loopback_http_is_fine(monkeypatch):
    """requests-oauthlib insists on https; these servers are on loopback."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_client_credentials_with_requests_oauthlib(live):
    client_id, secret = live.clients["service"]
    session = RequestsOAuth2Session(client=BackendApplicationClient(client_id=client_id))
    token = session.fetch_token(discover(live)["token_endpoint"], client_id=client_id,
                                client_secret=secret)
    claims = verify_jwt(live, token["access_token"], audience=f"{live.issuer}/api/v1")
    me = get_me(live, token["access_token"]).json()
    assert me["type"] == "client" and claims["client_id"] == client_id
    assert claims["sub"] == me["client"]["id"]  # its service account: the id in /clients/{id}
    assert claims["scope"] == "projects:read users:read"


def test_password_grant_and_refresh_with_requests_oauthlib(live):
    client_id, secret = live.clients["legacy"]
    token_url = discover(live)["token_endpoint"]
    session = RequestsOAuth2Session(client=LegacyApplicationClient(client_id=client_id))
    token = session.fetch_token(token_url, username="user1@live.example",
                                password=live.password, client_id=client_id,
                                client_secret=secret)
    verify_jwt(live, token["access_token"], audience=f"{live.issuer}/api/v1")
    refreshed = session.refresh_token(token_url, refresh_token=token["refresh_token"],
                                      auth=(client_id, secret))
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert get_me(live, refreshed["access_token"]).status_code == 200
    reuse = requests.post(token_url, auth=(client_id, secret), timeout=5, data={
        "grant_type": "refresh_token", "refresh_token": token["refresh_token"]})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert get_me(live, refreshed["access_token"]).status_code == 401


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
    access = verify_jwt(live, token["access_token"], audience=f"{live.issuer}/api/v1")
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


def test_pyoidc_code_flow_and_its_default_userinfo_call(live):
    """pyoidc (``oic``) validates the ID token itself, and by default POSTs the access token
    to userinfo in the form body (RFC 6750 §2.2)."""
    from oic.oic import Client
    from oic.oic.message import AuthorizationResponse, RegistrationResponse
    from oic.utils.authn.client import CLIENT_AUTHN_METHOD

    client_id, secret = live.clients["web"]
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD)
    client.provider_config(live.issuer)
    client.store_registration_info(RegistrationResponse(
        client_id=client_id, client_secret=secret, redirect_uris=[CALLBACK]))
    verifier, challenge = pkce_pair()
    request = client.construct_AuthorizationRequest(request_args={
        "client_id": client_id, "response_type": "code", "scope": ["openid", "email"],
        "redirect_uri": CALLBACK, "state": "pyoidc-state", "nonce": "pyoidc-nonce",
        "code_challenge": challenge, "code_challenge_method": "S256"})
    callback = sign_in_through_frontend(live, requests.Session(),
                                        request.request(client.authorization_endpoint),
                                        "user1@live.example")
    answer = client.parse_response(AuthorizationResponse, info=callback.split("?", 1)[1],
                                   sformat="urlencoded")
    tokens = client.do_access_token_request(
        state=answer["state"], authn_method="client_secret_basic",
        request_args={"code": answer["code"], "code_verifier": verifier})
    assert tokens["id_token"]["nonce"] == "pyoidc-nonce"
    assert tokens["id_token"]["sid"] and tokens["id_token"]["azp"] == client_id
    userinfo = client.do_user_info_request(state=answer["state"])
    assert "error" not in userinfo, userinfo.to_dict()
    assert userinfo["email"] == "user1@live.example"
    assert userinfo["sub"] == tokens["id_token"]["sub"]
