"""No request to the new protocol paths makes a 5xx: garbage client assertions at every
endpoint that authenticates clients, and malformed device, exchange and resource
parameters."""
import base64
import json

import pytest

from tests.helpers import basic_auth

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def segment(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


ASSERTIONS = [
    "a.b.c", "x", segment({"alg": "none"}) + "." + segment({"sub": 5}) + ".",
    segment({"alg": "RS256"}) + "." + segment({"sub": "nobody"}) + ".sig",
    segment({"alg": "RS256"}) + "." + segment([1, 2]) + ".sig",
    segment({"alg": "HS256", "kid": 5}) + "." + segment({"sub": "CLIENT", "exp": "x"}) + ".sig",
]


@pytest.mark.parametrize("value", ASSERTIONS)
@pytest.mark.parametrize("path", ["token", "introspect", "revoke", "device_authorization"])
def test_garbage_assertions_are_invalid_client(client, factories, tenant, value, path):
    app_client, _ = factories.client(tenant, auth_method="client_secret_jwt")
    response = client.post(f"/t/acme/{path}", data={
        "grant_type": "client_credentials", "token": "x", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": value.replace("CLIENT", app_client.client_id)})
    assert response.status_code in (400, 401)
    assert response.json["error"] == "invalid_client"


@pytest.mark.parametrize("form", [
    {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"},
    {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x" * 5000},
    {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"},
    {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": "a.b.c",
     "subject_token_type": "urn:ietf:params:oauth:token-type:access_token", "resource": "::"},
    {"grant_type": "client_credentials", "resource": "http://[::1"},
    {"grant_type": "client_credentials", "resource": "x" * 5000},
])
def test_malformed_grant_parameters_are_4xx(client, factories, tenant, form):
    app_client, secret = factories.client(tenant, grant_types=(
        "client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code"))
    response = client.post("/t/acme/token", data=form,
                           headers=basic_auth(app_client.client_id, secret))
    assert response.status_code == 400 and response.json["error"]
    device = client.post("/t/acme/device_authorization", data={
        "resource": form.get("resource", "")}, headers=basic_auth(app_client.client_id, secret))
    assert device.status_code in (200, 400)
    verify = client.get("/t/acme/device/verify",
                        query_string={"user_code": form.get("device_code", "é✓")})
    assert verify.status_code == 302


@pytest.mark.parametrize("path", ["token", "introspect", "revoke", "device_authorization"])
def test_plain_http_to_a_public_host_is_insecure_transport(client, tenant, path):
    """RFC 6749 §1.6 (Authlib refuses a non-TLS URL that is not loopback): a clean
    ``insecure_transport`` error, not a 500, when a deployment serves plain HTTP."""
    response = client.post(f"/t/acme/{path}", base_url="http://auth.example.com",
                           data={"grant_type": "client_credentials", "token": "x"},
                           headers={"Authorization": "Basic eDp5"})
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.json["error"] == "insecure_transport"
    assert "Traceback" not in response.get_data(as_text=True)
