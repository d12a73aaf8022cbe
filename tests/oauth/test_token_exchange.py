"""Token exchange (RFC 8693): a service exchanges a caller's token for one to another API,
with narrower or equal scopes and an act claim; refused otherwise and across tenants."""
import jwt as pyjwt
import pytest

from tests.factories import PASSWORD
from tests.helpers import Callers, basic_auth

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
BILLING = "https://billing.acme.example"
GATEWAY = "https://gateway.acme.example"


@pytest.fixture
def setup(client, factories, tenant):
    """A user's token for the gateway API, which calls billing (and the REST API) for them."""
    owner = Callers(client, factories, tenant).as_user("owner@acme.io")
    for identifier, scope in ((BILLING, "billing:read"),
                              (GATEWAY, "billing:read projects:read")):
        assert owner.post("/resources", json={"identifier": identifier, "name": identifier,
                                              "scope": scope}).status_code == 201
    app, app_secret = factories.client(tenant, grant_types=("password",),
                                       scope="billing:read projects:read")
    user = factories.user(tenant)
    subject = client.post("/t/acme/token", headers=basic_auth(app.client_id, app_secret), data={
        "grant_type": "password", "username": user.email, "password": PASSWORD,
        "resource": GATEWAY}).json["access_token"]
    gateway, secret = factories.client(tenant, grant_types=(EXCHANGE,),
                                       scope="billing:read projects:read")
    return gateway, secret, subject, user, (app, app_secret)


def exchange(client, gateway, secret, subject, slug="acme", **form):
    return client.post(f"/t/{slug}/token", headers=basic_auth(gateway.client_id, secret),
                       data={"grant_type": EXCHANGE, "subject_token": subject,
                             "subject_token_type": ACCESS, **form})


def test_exchange_for_another_resource_with_act(client, setup, db, tenant):
    gateway, secret, subject, user, _ = setup
    response = exchange(client, gateway, secret, subject, resource=BILLING,
                        scope="billing:read")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["issued_token_type"] == ACCESS and "refresh_token" not in body
    claims = pyjwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == BILLING and claims["sub"] == str(user.id)
    assert claims["scope"] == "billing:read" and claims["client_id"] == gateway.client_id
    assert claims["act"] == {"sub": str(gateway.id), "client_id": gateway.client_id}
    introspected = client.post("/t/acme/introspect", data={"token": body["access_token"]},
                               headers=basic_auth(gateway.client_id, secret)).json
    assert introspected["act"]["client_id"] == gateway.client_id
    assert introspected["sub"] == str(user.id)


def test_exchanging_an_exchanged_token_nests_act(client, factories, tenant, setup):
    gateway, secret, subject, *_ = setup
    first = exchange(client, gateway, secret, subject, scope="projects:read").json
    second_hop, second_secret = factories.client(tenant, grant_types=(EXCHANGE,),
                                                 scope="projects:read")
    second = exchange(client, second_hop, second_secret, first["access_token"]).json
    claims = pyjwt.decode(second["access_token"], options={"verify_signature": False})
    assert claims["act"]["client_id"] == second_hop.client_id
    assert claims["act"]["act"]["client_id"] == gateway.client_id


@pytest.mark.parametrize("form, error", [
    ({"scope": "projects:write"}, "invalid_scope"),
    ({"resource": "https://unknown.example"}, "invalid_target"),
    ({"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "invalid_request"),
    ({"actor_token": "x", "actor_token_type": ACCESS}, "invalid_request"),
    ({"subject_token": "not-a-token"}, "invalid_grant"),
])
def test_refused(client, setup, form, error):
    gateway, secret, subject, *_ = setup
    response = exchange(client, gateway, secret, subject, **form)
    assert response.status_code == 400 and response.json["error"] == error


def test_only_clients_registered_for_exchange(client, factories, tenant, setup):
    _, _, subject, *_ = setup
    other, secret = factories.client(tenant, scope="projects:read")
    response = exchange(client, other, secret, subject)
    assert response.json["error"] == "unauthorized_client"


def test_a_revoked_subject_token_is_refused(client, setup):
    gateway, secret, subject, _, (app, app_secret) = setup
    client.post("/t/acme/revoke", data={"token": subject},
                headers=basic_auth(app.client_id, app_secret))
    assert exchange(client, gateway, secret, subject).json["error"] == "invalid_grant"


def test_never_across_tenants(client, factories, setup):
    _, _, subject, *_ = setup
    other, _ = factories.tenant("other")
    theirs, secret = factories.client(other, grant_types=(EXCHANGE,), scope="projects:read")
    response = exchange(client, theirs, secret, subject, slug="other")
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
