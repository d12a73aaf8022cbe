"""Sign-in sessions and RP-Initiated Logout 1.0 at the end-session endpoint: ``sid`` in ID
tokens, sign-out at once with a hint from the browser's own session, a confirmation for
everything else, redirects only to registered URIs, and what ending a session ends."""
import time

import jwt as pyjwt
import pytest
from joserfc import jwt
from sqlalchemy import select

from api.db import tenant_scope
from api.keys import services as keys
from api.oauth.models import Grant, SignInSession
from api.rbac.permissions import ALL
from tests.helpers import REDIRECT_URI, Callers, pkce_pair, query

SIGNED_OUT = "https://app.example/signed-out"


@pytest.fixture
def rp(factories, tenant):
    """A confidential web client that registered a post-logout redirect URI."""
    return factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                            scope="openid profile email offline_access profile:read",
                            redirect_uris=(REDIRECT_URI,),
                            post_logout_redirect_uris=[SIGNED_OUT])


def claims_of(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


def live_sessions(db, tenant) -> list:
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return list(db.session.scalars(select(SignInSession)
                                       .where(SignInSession.ended_at.is_(None))))


def logout(oauth, **params):
    return oauth.http.get("/t/acme/logout", query_string=params)


def parked(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.startswith("http://localhost:8000/t/acme/logout?request=")
    return query(location)["request"]


def test_id_tokens_name_their_session_client_and_sign_in_time(oauth, rp, db, tenant):
    client, secret = rp
    before = int(time.time())
    claims = claims_of(oauth.code_tokens(client, secret, "owner@acme.io")["id_token"])
    [session] = live_sessions(db, tenant)
    assert claims["sid"] == str(session.id)
    assert claims["azp"] == client.client_id and claims["aud"] == [client.client_id]
    assert before - 1 <= claims["auth_time"] <= int(time.time())


def test_discovery_lists_exactly_the_claims_emitted(oauth, rp, factories, tenant):
    owner = Callers(oauth.http, factories, tenant).as_user("owner@acme.io")
    assert owner.patch("/me", json={"name": "Olive Owner", "given_name": "Olive",
                                    "family_name": "Owner"}).status_code == 200
    client, secret = rp
    issued = oauth.code_tokens(client, secret, "owner@acme.io", scope="openid profile email",
                               nonce="n-0S6")
    userinfo = oauth.http.get("/t/acme/userinfo",
                              headers={"Authorization": f"Bearer {issued['access_token']}"})
    emitted = set(claims_of(issued["id_token"])) | set(userinfo.json)
    supported = oauth.http.get("/t/acme/.well-known/openid-configuration").json
    assert set(supported["claims_supported"]) == emitted


def test_a_hint_from_this_session_signs_out_at_once_to_a_registered_uri(oauth, rp, db, tenant):
    client, secret = rp
    issued = oauth.code_tokens(client, secret, "owner@acme.io", scope="openid profile:read")
    out = logout(oauth, id_token_hint=issued["id_token"], post_logout_redirect_uri=SIGNED_OUT,
                 state="s1")
    assert out.status_code == 302 and out.headers["Location"] == f"{SIGNED_OUT}?state=s1"
    assert "tessera_session=;" in out.headers["Set-Cookie"]
    assert live_sessions(db, tenant) == []
    assert oauth.me(issued["access_token"]).status_code == 401  # its grant ended with it
    again = oauth.authorize(client)
    assert "/login?challenge=" in again.headers["Location"]  # asked to sign in again


def test_offline_access_outlives_the_session(oauth, rp):
    client, secret = rp
    issued = oauth.code_tokens(client, secret, "owner@acme.io",
                               scope="openid offline_access profile:read")
    logout(oauth, id_token_hint=issued["id_token"])
    refreshed = oauth.token(client.client_id, secret, grant_type="refresh_token",
                            refresh_token=issued["refresh_token"])
    assert refreshed.status_code == 200


def test_an_unregistered_redirect_uri_is_never_followed(oauth, rp, db, tenant):
    client, secret = rp
    issued = oauth.code_tokens(client, secret, "owner@acme.io")
    out = logout(oauth, id_token_hint=issued["id_token"],
                 post_logout_redirect_uri="https://evil.example/", state="s1")
    assert out.headers["Location"] == "http://localhost:8000/t/acme/console/signed-out"
    assert live_sessions(db, tenant) == []


def test_an_expired_hint_still_signs_out(oauth, rp, db, tenant, app):
    client, secret = rp
    claims = claims_of(oauth.code_tokens(client, secret, "owner@acme.io")["id_token"])
    with app.test_request_context(), tenant_scope(db.session, tenant.id):
        kid, alg, key = keys.active_key(tenant.id)
        expired = jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"},
                             {**claims, "iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600},
                             key)
    out = logout(oauth, id_token_hint=expired, post_logout_redirect_uri=SIGNED_OUT)
    assert out.headers["Location"] == SIGNED_OUT and live_sessions(db, tenant) == []


def test_without_a_hint_a_get_only_asks_and_the_confirmation_signs_out(oauth, rp, db, tenant):
    client, secret = rp
    oauth.code_tokens(client, secret, "owner@acme.io")
    request = parked(logout(oauth, client_id=client.client_id,
                            post_logout_redirect_uri=SIGNED_OUT, state="s2"))
    assert len(live_sessions(db, tenant)) == 1  # the GET signed nobody out
    shown = oauth.http.get("/t/acme/sign-in/logout", query_string={"request": request},
                           headers=oauth.frontend_key)
    assert shown.json == {"client": {"client_name": client.client_name},
                          "user": {"email": "owner@acme.io"}}
    confirmed = oauth.http.post("/t/acme/sign-in/logout", json={"request": request},
                                headers=oauth.frontend_key)
    assert confirmed.json == {"redirect_to": f"{SIGNED_OUT}?state=s2"}
    assert live_sessions(db, tenant) == []


def test_a_hint_of_another_session_or_a_forged_one_is_not_enough(oauth, rp, factories,
                                                                 tenant, db):
    client, secret = rp
    factories.user(tenant, "mallory@acme.io")
    mallory = oauth.code_tokens(client, secret, "mallory@acme.io")["id_token"]
    oauth.http.delete_cookie("tessera_session", path="/t/acme/")
    oauth.code_tokens(client, secret, "owner@acme.io")
    parked(logout(oauth, id_token_hint=mallory))
    header, payload, signature = mallory.split(".")
    parked(logout(oauth, id_token_hint=f"{header}.{payload[:-4]}AAAA.{signature}"))
    emails = {s.user.email for s in live_sessions(db, tenant)}
    assert emails == {"owner@acme.io", "mallory@acme.io"}


def test_a_hint_for_another_client_than_client_id_is_an_error(oauth, rp, factories, tenant,
                                                              db):
    client, secret = rp
    other, _ = factories.client(tenant)
    hint = oauth.code_tokens(client, secret, "owner@acme.io")["id_token"]
    out = logout(oauth, id_token_hint=hint, client_id=other.client_id)
    assert out.headers["Location"] == ("http://localhost:8000/t/acme/logout?"
                                       "error=invalid_request")
    assert len(live_sessions(db, tenant)) == 1


def test_a_tampered_or_foreign_parked_request_is_refused(oauth, rp, factories):
    client, secret = rp
    oauth.code_tokens(client, secret, "owner@acme.io")
    request = parked(logout(oauth))
    for bad in (request[:-2] + "xx", "nonsense"):
        refused = oauth.http.post("/t/acme/sign-in/logout", json={"request": bad},
                                  headers=oauth.frontend_key)
        assert refused.status_code == 404
    factories.tenant("other")
    foreign = oauth.http.post("/t/other/sign-in/logout", json={"request": request},
                              headers=oauth.frontend_key)
    assert foreign.status_code == 404
    assert oauth.http.post("/t/acme/sign-in/logout", json={"request": request}).status_code \
        == 403  # the frontend's key is required


def test_deactivating_a_user_ends_their_sessions(oauth, rp, factories, tenant, db):
    client, secret = rp
    factories.user(tenant, "bob@acme.io")
    oauth.code_tokens(client, secret, "bob@acme.io")
    owner = oauth.client_credentials(*factories.client(tenant, scope=" ".join(ALL)))
    bob = [s for s in live_sessions(db, tenant)][0]
    response = oauth.http.patch(f"/t/acme/api/v1/users/{bob.user_id}",
                                json={"is_active": False},
                                headers={"Authorization": f"Bearer {owner['access_token']}"})
    assert response.status_code == 200, response.json
    assert live_sessions(db, tenant) == []
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(Grant.revoked_at)
                                  .where(Grant.session_id == bob.id)).all() != [None]


def test_signing_out_of_an_app_ends_the_consoles_grant_in_the_same_session(oauth, rp,
                                                                           factories, tenant):
    console, _ = factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                                  scope="openid offline_access profile:read", public=True,
                                  first_party=True, redirect_uris=(REDIRECT_URI,))
    first_party = oauth.code_tokens(console, None, "owner@acme.io",
                                    scope="openid offline_access profile:read")
    client, secret = rp
    verifier, challenge = pkce_pair()
    asked = oauth.challenge_of(oauth.authorize(client, pkce=False, code_challenge=challenge,
                                               code_challenge_method="S256"))
    back = oauth.follow(oauth.decide(asked).json["redirect_to"])  # consent only: same session
    issued = oauth.token(client.client_id, secret, grant_type="authorization_code",
                         code=query(back.headers["Location"])["code"],
                         redirect_uri=REDIRECT_URI, code_verifier=verifier).json
    assert claims_of(issued["id_token"])["sid"] == claims_of(first_party["id_token"])["sid"]
    logout(oauth, id_token_hint=issued["id_token"])
    assert oauth.me(first_party["access_token"]).status_code == 401
    refreshed = oauth.token(console.client_id, grant_type="refresh_token",
                            refresh_token=first_party["refresh_token"])
    assert refreshed.status_code == 400  # offline_access or not, the console's grant ended


def test_someone_else_signing_in_on_the_browser_ends_the_session_before(oauth, rp, factories,
                                                                        tenant, db):
    client, secret = rp
    factories.user(tenant, "bob@acme.io")
    owners = oauth.code_tokens(client, secret, "owner@acme.io", scope="openid profile:read")
    asked = oauth.challenge_of(oauth.authorize(client, prompt="login"))
    assert oauth.log_in(asked, "bob@acme.io").status_code == 200
    oauth.follow(oauth.decide(asked).json["redirect_to"])
    [bobs] = live_sessions(db, tenant)
    assert str(bobs.id) != claims_of(owners["id_token"])["sid"]
    assert oauth.me(owners["access_token"]).status_code == 401  # its grant ended with it


def test_signing_in_again_keeps_the_session_and_moves_its_auth_time(oauth, rp, db, tenant):
    client, secret = rp
    first = claims_of(oauth.code_tokens(client, secret, "owner@acme.io")["id_token"])
    time.sleep(1.1)
    again = claims_of(oauth.code_tokens(client, secret, "owner@acme.io", prompt="login")
                      ["id_token"])
    assert again["sid"] == first["sid"] and again["auth_time"] > first["auth_time"]
    [session] = live_sessions(db, tenant)
    assert int(session.auth_time.timestamp()) == again["auth_time"]
