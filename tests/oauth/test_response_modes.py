"""Response modes (query, form_post) and the request parameters Tessera refuses (OIDC Core §6)."""
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from api.db import tenant_scope, utcnow
from api.oauth.models import FormPostResponse
from tests.helpers import REDIRECT_URI, pkce_pair, query, sql_statements

ISSUER = "http://localhost:8080/t/acme"
FORM_POST_PAGE = "http://localhost:8000/t/acme/form-post?ref="


def test_discovery_says_what_is_supported(client, tenant):
    metadata = client.get("/t/acme/.well-known/openid-configuration").json
    assert metadata["response_modes_supported"] == ["query", "form_post"]
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False


@pytest.mark.parametrize("params,error", [
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ({"request_uri": "https://app.example/request.jwt"}, "request_uri_not_supported"),
    ({"response_mode": "fragment"}, "invalid_request"),
    ({"response_mode": "web_message"}, "invalid_request"),
])
def test_unsupported_parameters_are_refused_at_the_client(oauth, web_app, params, error):
    """Not silently ignored: the client learns that its request was not understood."""
    app_client, _ = web_app
    response = oauth.authorize(app_client, **params)
    assert response.status_code == 302 and response.headers["Location"].startswith(REDIRECT_URI)
    answer = query(response.headers["Location"])
    assert answer["error"] == error and answer["state"] == "xyz" and answer["iss"] == ISSUER


def redeem(oauth, location: str):
    assert location.startswith(FORM_POST_PAGE)
    reference = query(location)["ref"]
    return oauth.http.post(f"/t/acme/sign-in/form-post/{reference}", headers=oauth.frontend_key)


def test_form_post_keeps_the_code_out_of_every_url(db, oauth, web_app, tenant):
    app_client, secret = web_app
    verifier, challenge = pkce_pair()
    final = oauth.code_flow(app_client, "owner@acme.io", response_mode="form_post",
                            code_challenge=challenge, code_challenge_method="S256")
    location = final.headers["Location"]
    assert "code=" not in location and "tessera_session=" in final.headers["Set-Cookie"]
    with tenant_scope(db.session, tenant.id):
        sealed = db.session.scalars(select(FormPostResponse.sealed_params)).one()
    redeemed = redeem(oauth, location)
    assert redeemed.status_code == 200
    assert redeemed.json["redirect_uri"] == REDIRECT_URI
    params = dict(redeemed.json["params"])
    assert [name for name, _ in redeemed.json["params"]] == ["code", "state", "iss"]
    assert params["state"] == "xyz" and params["iss"] == ISSUER
    assert params["code"] not in sealed  # sealed at rest
    tokens = oauth.token(app_client.client_id, secret, grant_type="authorization_code",
                         code=params["code"], redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert tokens.status_code == 200 and tokens.json["access_token"]


def test_a_form_post_response_is_redeemed_once_by_the_frontend_only(oauth, web_app):
    app_client, _ = web_app
    location = oauth.code_flow(app_client, "owner@acme.io", response_mode="form_post")\
        .headers["Location"]
    reference = query(location)["ref"]
    url = f"/t/acme/sign-in/form-post/{reference}"
    assert oauth.http.post(url).status_code == 403
    assert oauth.http.post(url, headers=oauth.frontend_key).status_code == 200
    again = oauth.http.post(url, headers=oauth.frontend_key)
    assert again.status_code == 404 and again.mimetype == "application/problem+json"


def test_an_expired_form_post_response_is_gone(db, oauth, web_app, tenant):
    app_client, _ = web_app
    location = oauth.code_flow(app_client, "owner@acme.io", response_mode="form_post")\
        .headers["Location"]
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(FormPostResponse).values(expires_at=utcnow()))
        db.session.commit()
    assert redeem(oauth, location).status_code == 404


def test_errors_are_form_posted_too(oauth, web_app):
    app_client, _ = web_app
    response = oauth.authorize(app_client, prompt="none", response_mode="form_post")
    params = dict(redeem(oauth, response.headers["Location"]).json["params"])
    assert params["error"] == "login_required" and params["state"] == "xyz"
    assert params["iss"] == ISSUER


def test_a_redirect_uri_with_its_own_query_keeps_it_in_the_action(oauth, factories, tenant):
    with_query = "https://app.example/cb?tenant=a%20b"
    app_client, _ = factories.client(tenant, grant_types=("authorization_code",),
                                     scope="openid", redirect_uris=(with_query,))
    response = oauth.authorize(app_client, redirect_uri=with_query, prompt="none",
                               response_mode="form_post")
    redeemed = redeem(oauth, response.headers["Location"]).json
    assert redeemed["redirect_uri"] == with_query
    assert [name for name, _ in redeemed["params"]] == ["error", "state", "iss"]


def test_the_frontend_page_is_on_the_frontend(oauth, web_app):
    app_client, _ = web_app
    location = oauth.code_flow(app_client, "owner@acme.io", response_mode="form_post")\
        .headers["Location"]
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == "http://localhost:8000"
    assert parts.path == "/t/acme/form-post"


@pytest.mark.parametrize("reference", ["x", "A" * 44, "..%2F..%2Fsign-in%2Fconsole-client"])
def test_a_malformed_reference_does_not_route(db, oauth, tenant, reference):
    with sql_statements(db.engine) as statements:
        response = oauth.http.post(f"/t/acme/sign-in/form-post/{reference}",
                                   headers=oauth.frontend_key)
    assert response.status_code == 404 and statements == []
