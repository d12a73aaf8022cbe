"""JWT client authentication (RFC 7523 §2.2, OIDC Core §9): private_key_jwt and
client_secret_jwt at every endpoint that authenticates clients; aud, exp, jti; jwks_uri
under the outbound rules; tenants apart."""
import time

import pytest
from authlib.oauth2.rfc7523 import client_secret_jwt_sign, private_key_jwt_sign
from joserfc.jwk import ECKey, OctKey, RSAKey
from sqlalchemy import select

from api.db import tenant_scope, utcnow
from api.oauth.models import ClientAssertion

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_URL = "http://localhost:8080/t/acme/token"


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def key(request):
    key = (RSAKey.generate_key(2048) if request.param == "RS256"
           else ECKey.generate_key("P-256"))
    key.ensure_kid()
    return request.param, key


def public_jwks(key) -> dict:
    return {"keys": [key.as_dict(private=False)]}


@pytest.fixture
def signed_client(factories, tenant, key):
    alg, private = key
    app_client, _ = factories.client(tenant, scope="projects:read",
                                     auth_method="private_key_jwt", jwks=public_jwks(private))
    return app_client, alg, private


def assertion(client_id, key, alg, audience=TOKEN_URL, **claims):
    header = {"kid": key.kid} if key.kid else None
    return private_key_jwt_sign(key, client_id, audience, alg=alg, claims=claims or None,
                                header=header)


def with_assertion(value) -> dict:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": value}


def token_with(oauth, value):
    """client_credentials at acme's token endpoint, authenticated by the assertion."""
    return oauth.http.post("/t/acme/token", data={"grant_type": "client_credentials",
                                                  **with_assertion(value)})


def test_private_key_jwt_at_the_token_endpoint(oauth, signed_client):
    app_client, alg, private = signed_client
    response = token_with(oauth, assertion(app_client.client_id, private, alg))
    assert response.status_code == 200, response.json
    assert response.json["scope"] == "projects:read"


def test_a_replayed_assertion_is_refused(oauth, signed_client):
    app_client, alg, private = signed_client
    form = {"grant_type": "client_credentials",
            **with_assertion(assertion(app_client.client_id, private, alg))}
    assert oauth.http.post("/t/acme/token", data=form).status_code == 200
    replay = oauth.http.post("/t/acme/token", data=form)
    assert replay.status_code in (400, 401) and replay.json["error"] == "invalid_client"


@pytest.mark.parametrize("audience", ["https://elsewhere.example/token",
                                      "http://localhost:8080/t/other/token"])
def test_a_wrong_audience_is_refused(oauth, signed_client, audience):
    app_client, alg, private = signed_client
    response = token_with(oauth, assertion(app_client.client_id, private, alg, audience=audience))
    assert response.json["error"] == "invalid_client"


def test_a_far_expiry_is_refused(oauth, signed_client):
    app_client, alg, private = signed_client
    far = private_key_jwt_sign(private, app_client.client_id, TOKEN_URL, alg=alg,
                               header={"kid": private.kid}, expires_in=2 * 3600)
    response = token_with(oauth, far)
    assert response.json["error"] == "invalid_client"


def test_another_key_is_refused(oauth, signed_client):
    app_client, alg, _ = signed_client
    stranger = RSAKey.generate_key(2048)
    response = token_with(oauth, private_key_jwt_sign(stranger, app_client.client_id, TOKEN_URL))
    assert response.json["error"] == "invalid_client"


def test_the_client_cannot_fall_back_to_a_secret(oauth, signed_client):
    app_client, _, _ = signed_client
    response = oauth.token(app_client.client_id, "guess", grant_type="client_credentials")
    assert response.json["error"] == "invalid_client"


def test_introspection_and_revocation_take_assertions_for_their_own_url(oauth, signed_client):
    app_client, alg, private = signed_client
    token = token_with(oauth, assertion(app_client.client_id, private, alg)).json["access_token"]
    introspected = oauth.http.post("/t/acme/introspect", data={
        "token": token, **with_assertion(assertion(
            app_client.client_id, private, alg,
            audience="http://localhost:8080/t/acme/introspect"))})
    assert introspected.status_code == 200 and introspected.json["active"] is True
    revoked = oauth.http.post("/t/acme/revoke", data={
        "token": token, **with_assertion(assertion(app_client.client_id, private, alg,
                                                   audience="http://localhost:8080/t/acme"))})
    assert revoked.status_code == 200
    assert oauth.me(token).status_code == 401


def test_client_secret_jwt(oauth, factories, tenant):
    app_client, secret = factories.client(tenant, auth_method="client_secret_jwt")
    signed = client_secret_jwt_sign(OctKey.import_key(secret), app_client.client_id, TOKEN_URL)
    response = token_with(oauth, signed)
    assert response.status_code == 200, response.json
    wrong = client_secret_jwt_sign(OctKey.import_key("not-the-secret-" * 3),
                                   app_client.client_id, TOKEN_URL)
    refused = token_with(oauth, wrong)
    assert refused.json["error"] == "invalid_client"


def test_a_jwks_uri_on_a_loopback_address_is_never_fetched(oauth, factories, tenant, key,
                                                           caplog):
    """The client hears only the uniform 401 (test_client_authentication); the operator's
    log says why."""
    alg, private = key
    app_client, _ = factories.client(tenant, auth_method="private_key_jwt",
                                     jwks_uri="http://127.0.0.1:9/jwks.json")
    response = token_with(oauth, assertion(app_client.client_id, private, alg))
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="')
    assert "loopback, private or link-local" in caplog.text


def test_another_tenants_client_cannot_authenticate_here(oauth, factories, key):
    alg, private = key
    other, _ = factories.tenant("other")
    theirs, _ = factories.client(other, auth_method="private_key_jwt",
                                 jwks=public_jwks(private))
    response = token_with(oauth, assertion(theirs.client_id, private, alg))
    assert response.json["error"] == "invalid_client"


def test_assertion_lifetime_is_bounded_by_the_clock_too(oauth, signed_client):
    app_client, alg, private = signed_client
    stale = private_key_jwt_sign(private, app_client.client_id, TOKEN_URL, alg=alg,
                                 header={"kid": private.kid},
                                 issued_at=int(time.time()) - 7200, expires_in=60)
    response = token_with(oauth, stale)
    assert response.json["error"] == "invalid_client"


def test_used_assertion_ids_are_kept_until_they_expire(db, oauth, signed_client, tenant):
    """Until then, a replay is recognised; purge deletes them after (test_housekeeping)."""
    app_client, alg, private = signed_client
    token_with(oauth, assertion(app_client.client_id, private, alg))
    with tenant_scope(db.session, tenant.id):
        row = db.session.scalars(select(ClientAssertion)).one()
        assert row.expires_at > utcnow()
