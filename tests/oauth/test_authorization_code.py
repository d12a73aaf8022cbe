"""authorization_code with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9207, RFC 9700) and OIDC."""
import jwt as pyjwt
import pytest
from sqlalchemy import func, select, update

import identifiers
from api.db import tenant_scope, utcnow
from api.oauth import challenges
from api.oauth.models import AuthorizationCode, AuthorizationRequest
from tests.helpers import REDIRECT_URI, Callers, pkce_pair, query, sql_statements

ISSUER = "http://localhost:8080/t/acme"


def test_unauthenticated_browser_goes_to_the_frontend_login(oauth, web_app):
    app_client, _ = web_app
    response = oauth.authorize(app_client, code_challenge=pkce_pair()[1],
                               code_challenge_method="S256")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("http://localhost:8000/t/acme/login?challenge=")
    assert "tessera_browser=" in response.headers["Set-Cookie"]


def test_challenge_describes_the_request_to_the_frontend(oauth, web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client, "openid users:read"))
    described = oauth.http.get(f"/t/acme/sign-in/challenges/{challenge}",
                               headers=oauth.frontend_key)
    assert described.status_code == 200
    assert described.json["client"]["client_name"] == app_client.client_name
    assert described.json["tenant"] == {"slug": "acme", "name": "Acme", "branding": {}}
    assert described.json["client"]["redirect_uri"] == REDIRECT_URI
    assert described.json["scopes"] == ["openid", "users:read"]
    assert described.json["user"] is None


def test_challenge_api_names_what_is_wrong_with_a_body(oauth, web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    url = f"/t/acme/sign-in/challenges/{challenge}"
    not_json = oauth.http.post(f"{url}/login", data="email=x", headers=oauth.frontend_key)
    assert not_json.status_code == 400 and "JSON object" in not_json.json["detail"]
    missing = oauth.http.post(f"{url}/consent", json={}, headers=oauth.frontend_key)
    assert missing.status_code == 422 and "approve" in missing.json["errors"]


def test_challenge_api_is_only_for_the_frontend(oauth, web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    assert oauth.http.get(f"/t/acme/sign-in/challenges/{challenge}").status_code == 403
    wrong = {"X-Frontend-Key": "guess"}
    assert oauth.http.post(f"/t/acme/sign-in/challenges/{challenge}/login", headers=wrong,
                           json={"email": "owner@acme.io", "password": "x"}).status_code == 403


@pytest.mark.parametrize("challenge", [
    "x", "A" * 42, "A" * 44, "A" * 42 + ".", "A" * 42 + "=", "..%2F..%2F..%2Fother",
    "%2E%2E", "A" * 42 + "%00", "A" * 42 + "%C3%A9",
])
@pytest.mark.parametrize("method,suffix", [("GET", ""), ("POST", "/login"), ("POST", "/consent")])
def test_challenge_api_routes_only_well_formed_challenges(db, oauth, tenant, challenge, method,
                                                          suffix):
    """Anything but a token of generate_secret()'s format is a 404 that reaches no database."""
    with sql_statements(db.engine) as statements:
        response = oauth.http.open(f"/t/acme/sign-in/challenges/{challenge}{suffix}",
                                   method=method, headers=oauth.frontend_key, json={})
    assert response.status_code in (400, 404), response.get_data(as_text=True)
    assert statements == []


def test_challenges_are_tokens(oauth, web_app):
    assert identifiers.is_token(oauth.challenge_of(oauth.authorize(web_app[0])))


def test_full_flow_with_consent_issues_code_state_and_iss(oauth, web_app):
    app_client, secret = web_app
    verifier, code_challenge = pkce_pair()
    challenge = oauth.challenge_of(oauth.authorize(
        app_client, "openid email", code_challenge=code_challenge,
        code_challenge_method="S256", nonce="n-0S6"))
    login = oauth.log_in(challenge, "owner@acme.io")
    assert login.status_code == 200 and login.json["consent_required"] is True
    assert "redirect_to" not in login.json
    decided = oauth.decide(challenge, approve=True)
    final = oauth.follow(decided.json["redirect_to"])
    assert final.status_code == 302 and final.headers["Location"].startswith(REDIRECT_URI)
    params = query(final.headers["Location"])
    assert params["state"] == "xyz" and params["iss"] == ISSUER and params["code"]
    tokens = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                         code=params["code"], redirect_uri=REDIRECT_URI,
                         code_verifier=verifier).json
    id_token = pyjwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert id_token["aud"] == [app_client.client_id] and id_token["nonce"] == "n-0S6"
    assert id_token["iss"] == ISSUER and id_token["email"] == "owner@acme.io"
    assert id_token["at_hash"] and tokens["refresh_token"]


def test_deny_returns_access_denied_to_the_client(oauth, web_app):
    app_client, _ = web_app
    final = oauth.code_flow(app_client, "owner@acme.io", approve=False,
                            code_challenge=pkce_pair()[1], code_challenge_method="S256")
    assert final.headers["Location"].startswith(REDIRECT_URI)
    params = query(final.headers["Location"])
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz" and params["iss"] == ISSUER and "code" not in params


def test_signed_in_user_with_remembered_consent_is_not_asked_again(oauth, web_app):
    app_client, _ = web_app
    _, code_challenge = pkce_pair()
    pkce = {"code_challenge": code_challenge, "code_challenge_method": "S256"}
    challenge = oauth.challenge_of(oauth.authorize(app_client, **pkce))
    oauth.log_in(challenge, "owner@acme.io")
    final = oauth.follow(oauth.decide(challenge, remember=True).json["redirect_to"])
    cookie = final.headers["Set-Cookie"]
    assert "tessera_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/t/acme/" in cookie
    again = oauth.authorize(app_client, **pkce)
    assert again.status_code == 302 and "code" in query(again.headers["Location"])


def test_signed_in_user_without_remembered_consent_goes_to_consent(oauth, web_app):
    app_client, _ = web_app
    pkce = {"code_challenge": pkce_pair()[1], "code_challenge_method": "S256"}
    oauth.code_flow(app_client, "owner@acme.io", **pkce)
    again = oauth.authorize(app_client, **pkce)
    assert again.headers["Location"].startswith("http://localhost:8000/t/acme/consent?challenge=")


@pytest.mark.parametrize("scope", ["openid", "projects:read"])
def test_prompt_none_without_a_session_is_login_required_at_the_client(oauth, web_app, scope):
    app_client, _ = web_app
    response = oauth.authorize(app_client, scope, prompt="none")
    assert response.headers["Location"].startswith(REDIRECT_URI)  # never the frontend
    params = query(response.headers["Location"])
    assert params["error"] == "login_required" and "code" not in params
    assert params["state"] == "xyz" and params["iss"] == ISSUER


def test_prompt_none_when_consent_is_needed_is_consent_required_at_the_client(oauth, web_app):
    """OIDC Core §3.1.2.6: never the consent page."""
    app_client, _ = web_app
    oauth.code_flow(app_client, "owner@acme.io")  # signed in; consent not remembered
    response = oauth.authorize(app_client, "openid email", prompt="none")
    assert response.headers["Location"].startswith(REDIRECT_URI)
    params = query(response.headers["Location"])
    assert params["error"] == "consent_required" and "code" not in params
    assert params["state"] == "xyz" and params["iss"] == ISSUER


def test_prompt_none_with_a_session_and_remembered_consent_issues_a_code(oauth, web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    oauth.log_in(challenge, "owner@acme.io")
    oauth.follow(oauth.decide(challenge, remember=True).json["redirect_to"])
    response = oauth.authorize(app_client, prompt="none")
    assert response.headers["Location"].startswith(REDIRECT_URI)
    assert "code" in query(response.headers["Location"])


def test_first_party_clients_skip_consent(oauth, factories, tenant):
    console, _ = factories.client(tenant, grant_types=("authorization_code",),
                                  scope="openid", redirect_uris=(REDIRECT_URI,),
                                  first_party=True)
    challenge = oauth.challenge_of(oauth.authorize(console, code_challenge=pkce_pair()[1],
                                                   code_challenge_method="S256"))
    login = oauth.log_in(challenge, "owner@acme.io")
    assert login.json["consent_required"] is False
    final = oauth.follow(login.json["redirect_to"])
    assert "code" in query(final.headers["Location"])


def test_scope_is_narrowed_to_the_users_permissions(oauth, factories, web_app, tenant):
    factories.user(tenant, email="plain@acme.io", role="user")
    app_client, secret = web_app
    tokens = oauth.code_tokens(app_client, secret, "plain@acme.io",
                               scope="openid users:read projects:read")
    assert tokens["scope"] == "openid projects:read"
    assert oauth.me(tokens["access_token"]).json["permissions"] == ["projects:read"]


def test_none_of_the_users_permissions_is_invalid_scope_at_the_client(
        oauth, factories, web_app, tenant):
    """Not a code whose empty scope would later stand for the client's whole scope."""
    factories.user(tenant, email="plain@acme.io", role="user")
    app_client, _ = web_app
    final = oauth.code_flow(app_client, "plain@acme.io", scope="users:read",
                            code_challenge=pkce_pair()[1], code_challenge_method="S256")
    params = query(final.headers["Location"])
    assert params["error"] == "invalid_scope" and "code" not in params
    assert params["state"] == "xyz" and params["iss"] == ISSUER


@pytest.mark.parametrize("redirect_uri", [
    "https://app.example/callback/", "https://APP.example/callback",
    "https://app.example/callback?x=1", "http://app.example/callback",
    "https://app.example/callback/../evil", "https://evil.example/callback",
])
def test_unregistered_redirect_uris_are_never_redirected_to(oauth, web_app, redirect_uri):
    app_client, _ = web_app
    response = oauth.authorize(app_client, redirect_uri=redirect_uri)
    assert_frontend_error_page(oauth, response, "invalid_request")


@pytest.mark.parametrize("redirect_uri", [
    "https://app.example/call\tback", "https://app.example/callback\n", "https://app.example/\r",
    "https://app.example/callback\x7f", "https://app.example/\x01", "https://app.example/call back",
    'https://app.example/"', "https://app.example/\\", "https://app.example/caf\u00e9",
    "https://app.example/\u2028", "https://app.example/<x>",
])
def test_redirect_uris_that_are_not_uris_are_never_redirected_to(oauth, web_app, redirect_uri):
    """RFC 6749 §4.1.2.1: not redirected to the client, and not a 500 (Authlib quotes the URI
    in its error_description, whose characters RFC 6749 restricts): people see the
    frontend's error page."""
    app_client, _ = web_app
    response = oauth.authorize(app_client, redirect_uri=redirect_uri)
    assert_frontend_error_page(oauth, response, "invalid_request")


@pytest.mark.parametrize("response_type", ["\x1f", "code\t", 'code"', "c\u00f6de", "code\\"])
def test_malformed_response_types_are_invalid_requests(oauth, web_app, response_type):
    response = oauth.authorize(web_app[0], response_type=response_type)
    assert_frontend_error_page(oauth, response, "invalid_request")
    assert_frontend_error_page(oauth, oauth.http.get("/t/acme/authorize", query_string={
        "response_type": response_type}), "invalid_request")


def test_unknown_client_is_never_redirected_to(oauth):
    response = oauth.http.get("/t/acme/authorize", query_string={
        "response_type": "code", "client_id": "nope", "redirect_uri": REDIRECT_URI})
    assert_frontend_error_page(oauth, response, "invalid_client")


def assert_frontend_error_page(oauth, response, error):
    """People see the frontend's error page, which is told only the error code."""
    frontend = oauth.app.config["PUBLIC_FRONTEND_URL"]
    assert response.status_code == 303 and response.content_type != "application/json"
    assert response.headers["Location"] == f"{frontend}/t/acme/error?error={error}"


@pytest.mark.parametrize("params,error", [
    ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
    ({"code_challenge": "a" * 43, "pkce": False}, "invalid_request"),  # no method
    ({"pkce": False}, "invalid_request"),  # confidential clients use PKCE too (RFC 9700)
    ({"scope": "openid root:everything"}, "invalid_scope"),
    ({"scope": "clients:write tenant:delete"}, "invalid_scope"),  # none the client may have
    ({"response_type": "token"}, "unsupported_response_type"),
])
def test_other_errors_go_to_the_registered_redirect_uri(oauth, web_app, params, error):
    app_client, _ = web_app
    response = oauth.authorize(app_client, **params)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    assert query(location)["error"] == error
    assert query(location)["state"] == "xyz" and query(location)["iss"] == ISSUER


def test_public_clients_must_use_pkce(oauth, factories, tenant):
    spa, _ = factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                              redirect_uris=(REDIRECT_URI,), public=True)
    response = oauth.authorize(spa, pkce=False)
    assert query(response.headers["Location"])["error"] == "invalid_request"


@pytest.fixture
def legacy_web_app(factories, tenant):
    """A confidential client registered with require_pkce off (it cannot send PKCE)."""
    return factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                            redirect_uris=(REDIRECT_URI,), require_pkce=False)


def test_a_legacy_client_may_leave_pkce_out(oauth, legacy_web_app):
    app_client, secret = legacy_web_app
    final = oauth.code_flow(app_client, "owner@acme.io", pkce=False)
    code = query(final.headers["Location"])["code"]
    response = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                           code=code, redirect_uri=REDIRECT_URI)
    assert response.status_code == 200 and response.json["access_token"]


def test_public_client_flow_with_pkce_and_no_secret(oauth, factories, tenant):
    spa, _ = factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                              scope="openid projects:read", redirect_uris=(REDIRECT_URI,),
                              public=True)
    tokens = oauth.code_tokens(spa, None, "owner@acme.io", scope="openid projects:read")
    assert tokens["access_token"] and tokens["refresh_token"]


def _issue_code(oauth, app_client, **pkce):
    final = oauth.code_flow(app_client, "owner@acme.io", **pkce)
    return query(final.headers["Location"])["code"]


def test_pkce_downgrade_is_rejected(oauth, legacy_web_app):
    """RFC 9700 §4.8: a code issued without a challenge is refused with a verifier."""
    app_client, secret = legacy_web_app
    code = _issue_code(oauth, app_client, pkce=False)
    response = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                           code=code, redirect_uri=REDIRECT_URI, code_verifier="x" * 50)
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_wrong_code_verifier_is_invalid_grant(oauth, web_app):
    app_client, secret = web_app
    _, challenge = pkce_pair()
    code = _issue_code(oauth, app_client, code_challenge=challenge,
                       code_challenge_method="S256")
    response = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                           code=code, redirect_uri=REDIRECT_URI, code_verifier="y" * 50)
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"


def test_replayed_code_is_refused_and_revokes_its_tokens(oauth, web_app):
    app_client, secret = web_app
    verifier, challenge = pkce_pair()
    code = _issue_code(oauth, app_client, code_challenge=challenge,
                       code_challenge_method="S256")
    form = dict(grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI,
                code_verifier=verifier)
    first = oauth.token(app_client.client_id, secret, **form)
    assert first.status_code == 200
    assert oauth.me(first.json["access_token"]).status_code == 200
    replay = oauth.token(app_client.client_id, secret, **form)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert oauth.me(first.json["access_token"]).status_code == 401
    refreshed = oauth.token(app_client.client_id, secret, grant_type="refresh_token",
                            refresh_token=first.json["refresh_token"])
    assert refreshed.json["error"] == "invalid_grant"


def test_code_is_bound_to_its_client_and_redirect_uri(oauth, factories, web_app, tenant):
    app_client, secret = web_app
    other, other_secret = factories.client(tenant, grant_types=("authorization_code",),
                                           scope="openid", redirect_uris=(REDIRECT_URI,))
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    code = _issue_code(oauth, app_client, **pkce)
    stolen = oauth.token(other.client_id, other_secret, grant_type="authorization_code",
                         code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert stolen.json["error"] == "invalid_grant"
    code = _issue_code(oauth, app_client, **pkce)
    moved = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                        code=code, redirect_uri="https://app.example/other",
                        code_verifier=verifier)
    assert moved.json["error"] == "invalid_grant"


def test_expired_code_is_invalid_grant(db, oauth, web_app, tenant):
    app_client, secret = web_app
    verifier, challenge = pkce_pair()
    code = _issue_code(oauth, app_client, code_challenge=challenge,
                       code_challenge_method="S256")
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(AuthorizationCode).values(expires_at=utcnow()))
        db.session.commit()
    response = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                           code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert response.json["error"] == "invalid_grant"


def test_code_of_one_tenant_is_worthless_under_another(oauth, factories, web_app):
    factories.tenant("other")
    app_client, secret = web_app
    verifier, challenge = pkce_pair()
    code = _issue_code(oauth, app_client, code_challenge=challenge,
                       code_challenge_method="S256")
    oauth.base = "/t/other"
    response = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                           code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_verifier_works_once_only_in_the_same_browser_with_the_same_request(app, oauth,
                                                                            web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    oauth.log_in(challenge, "owner@acme.io")
    redirect_to = oauth.decide(challenge).json["redirect_to"]
    stranger = app.test_client()
    assert stranger.get(redirect_to.replace("http://localhost:8080", "")).status_code == 404
    tampered = redirect_to.replace("state=xyz", "state=abc")
    assert oauth.follow(tampered).status_code == 404
    assert oauth.follow(redirect_to).status_code == 302
    assert oauth.follow(redirect_to).status_code == 404


def test_expired_challenge_is_gone(db, oauth, web_app, tenant):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(AuthorizationRequest).values(expires_at=utcnow()))
        db.session.commit()
    response = oauth.log_in(challenge, "owner@acme.io")
    assert response.status_code == 410
    assert response.mimetype == "application/problem+json"


def _parked(db, tenant) -> int:
    with tenant_scope(db.session, tenant.id):
        return db.session.scalar(select(func.count()).select_from(AuthorizationRequest))


def _temporarily_unavailable(response) -> bool:
    params = query(response.headers["Location"])
    return (response.headers["Location"].startswith(REDIRECT_URI)
            and params["error"] == "temporarily_unavailable"
            and params["state"] == "xyz" and params["iss"] == ISSUER)


def test_one_address_parks_a_bounded_number_of_sign_ins(db, oauth, web_app, tenant):
    app_client, _ = web_app
    for _ in range(challenges.IP_LIMIT):
        assert "/login?challenge=" in oauth.authorize(app_client).headers["Location"]
    assert _temporarily_unavailable(oauth.authorize(app_client))
    assert _parked(db, tenant) == challenges.IP_LIMIT  # the refused one left no row
    elsewhere = oauth.authorize(app_client, ip="192.0.2.7")
    assert "/login?challenge=" in elsewhere.headers["Location"]


def test_a_client_has_a_bounded_number_of_live_sign_ins(
        monkeypatch, db, oauth, web_app, tenant):
    monkeypatch.setattr(challenges, "CLIENT_LIMIT", 3)
    app_client, _ = web_app
    for number in range(3):
        oauth.authorize(app_client, ip=f"192.0.2.{number}")
    assert _temporarily_unavailable(oauth.authorize(app_client, ip="198.51.100.1"))
    with tenant_scope(db.session, tenant.id):  # expired ones no longer count
        db.session.execute(update(AuthorizationRequest).values(expires_at=utcnow()))
        db.session.commit()
    assert "/login?challenge=" in oauth.authorize(app_client, ip="198.51.100.1")\
        .headers["Location"]


def test_wrong_password_on_the_challenge_is_a_clear_error(oauth, web_app):
    app_client, _ = web_app
    challenge = oauth.challenge_of(oauth.authorize(app_client))
    response = oauth.log_in(challenge, "owner@acme.io", "not the password")
    assert response.status_code == 401
    assert response.json["detail"] == "The email or password is incorrect."
    unknown = oauth.log_in(challenge, "ghost@acme.io", "not the password")
    assert unknown.status_code == 401 and unknown.json == response.json


def test_signing_out_everywhere_ends_the_api_session(oauth, web_app, factories, tenant):
    app_client, _ = web_app
    pkce = {"code_challenge": pkce_pair()[1], "code_challenge_method": "S256"}
    user = factories.user(tenant, email="roamer@acme.io")
    challenge = oauth.challenge_of(oauth.authorize(app_client, **pkce))
    oauth.log_in(challenge, user.email)
    oauth.follow(oauth.decide(challenge, remember=True).json["redirect_to"])
    assert "code" in query(oauth.authorize(app_client, **pkce).headers["Location"])
    owner = Callers(oauth.http, factories, tenant).as_user("owner@acme.io")
    assert owner.post(f"/users/{user.id}/sign-out").status_code == 200
    again = oauth.authorize(app_client, **pkce)
    assert "/login?challenge=" in again.headers["Location"]  # asked to sign in again
