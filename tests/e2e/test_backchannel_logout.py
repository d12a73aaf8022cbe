"""Back-Channel Logout 1.0 over HTTP under uWSGI: a user signs out of a relying party, whose
back-channel endpoint (a loopback server, so the API runs with OUTBOUND_ALLOW_PRIVATE) fails
the first delivery; the durable outbox tries again (``outbox flush`` here, the mule
otherwise) and the logout token that arrives verifies with joserfc against the JWKS."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers import owner_api, pkce_pair, query, sign_in_through_frontend
from tests.live import CALLBACK, ROOT, recording_server

FLASK = Path(sys.executable).parent / "flask"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def wait_for(received: list, count: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while len(received) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(received) >= count, received


def flush_outbox(live) -> dict:
    """``outbox flush`` in a process of its own, configured as the API is (its issuer URL,
    its database, loopback allowed)."""
    result = subprocess.run([str(FLASK), "--app", "api", "outbox", "flush", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "TESSERA_ENV": "testing",
                                 "PUBLIC_API_URL": live.base_url,
                                 "OUTBOUND_ALLOW_PRIVATE": "true", **live.database_env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def signed_in_relying_party(live, logout_uri: str) -> tuple[requests.Session, dict, str]:
    """A confidential client with a back-channel logout URI, and a browser signed in to it;
    returns the browser, the tokens and the client's id."""
    registered = owner_api(live).post(f"{live.issuer}/api/v1/clients", timeout=10, json={
        "client_name": "Relying party", "grant_types": ["authorization_code"],
        "scope": "openid", "redirect_uris": [CALLBACK], "backchannel_logout_uri": logout_uri,
        "backchannel_logout_session_required": True})
    assert registered.status_code == 201, registered.text
    rp = registered.json()
    verifier, challenge = pkce_pair()
    browser = requests.Session()
    url = requests.Request("GET", f"{live.issuer}/authorize", params={
        "response_type": "code", "client_id": rp["client_id"], "redirect_uri": CALLBACK,
        "scope": "openid", "state": "s", "code_challenge": challenge,
        "code_challenge_method": "S256"}).prepare().url
    callback = sign_in_through_frontend(live, browser, url, "user1@live.example")
    tokens = requests.post(f"{live.issuer}/token", auth=(rp["client_id"], rp["client_secret"]),
                           timeout=10, data={"grant_type": "authorization_code",
                                             "code": query(callback)["code"],
                                             "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return browser, tokens.json(), rp["client_id"]


def test_signing_out_reaches_the_client_through_the_outbox(loopback_live):
    live = loopback_live
    discovery = requests.get(f"{live.issuer}/.well-known/openid-configuration", timeout=5).json()
    assert discovery["backchannel_logout_supported"] is True
    assert discovery["backchannel_logout_session_supported"] is True
    with recording_server([500]) as (url, received):
        browser, tokens, client_id = signed_in_relying_party(live, f"{url}/logout")
        out = browser.get(discovery["end_session_endpoint"], allow_redirects=False, timeout=10,
                          params={"id_token_hint": tokens["id_token"]})
        assert out.status_code == 302 and "/console/signed-out" in out.headers["Location"]
        wait_for(received, 1)  # tried once the sign-out was answered: the client failed
        flushed = flush_outbox(live)
        wait_for(received, 2)  # flush, or the mule if its round came first, tried again
        assert flushed["retrying"] == flushed["failed"] == 0
        assert len(received) == 2
    first, delivered = (request["form"]["logout_token"] for request in received)
    assert received[1]["path"] == "/logout"
    assert received[1]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=5).json())
    token = jwt.decode(delivered, keys, algorithms=["RS256", "ES256"])
    assert token.header["typ"] == "logout+jwt"
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256", "ES256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": live.issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True, "value": id_token["sub"]},
        iat={"essential": True}, jti={"essential": True}).validate(token.claims)
    assert token.claims["events"] == {EVENT: {}}
    assert token.claims["sid"] == id_token["sid"]
    assert "nonce" not in token.claims
    assert first != delivered  # each attempt carries a freshly signed token
