"""A client assertion (RFC 7523 §3: ``jti``) is accepted once at every endpoint that
authenticates clients, as production runs them: each request in an application context of
its own, so what an endpoint does not commit is gone when the request ends."""
import contextvars

import pytest
from authlib.oauth2.rfc7523 import private_key_jwt_sign
from joserfc.jwk import RSAKey

from api.db import tenant_scope
from api.extensions import db as _db
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def post(http, path: str, data: dict):
    """``http.post`` outside the test's application context: the request pushes its own and
    its session ends with it, committed or not, as under uWSGI."""
    return contextvars.Context().run(http.post, path, data=data)


@pytest.mark.parametrize("endpoint", ["token", "introspect", "revoke"])
def test_an_assertion_is_accepted_once(committed_app, endpoint):
    key = RSAKey.generate_key(2048)
    key.ensure_kid()
    tenant, _ = factories.tenant("acme", owner_email="owner@acme.io")
    with tenant_scope(_db.session, tenant.id):
        client, _ = factories.client(tenant, scope="projects:read",
                                     auth_method="private_key_jwt",
                                     jwks={"keys": [key.as_dict(private=False)]})
        client_id = client.client_id
    _db.session.commit()
    http = committed_app.test_client()

    def authenticated(audience: str, **form) -> dict:
        signed = private_key_jwt_sign(key, client_id, audience, header={"kid": key.kid})
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": signed, **form}

    token = post(http, "/t/acme/token", authenticated(
        "http://localhost:8080/t/acme/token", grant_type="client_credentials"))
    assert token.status_code == 200, token.json
    form = authenticated(f"http://localhost:8080/t/acme/{endpoint}",
                         **({"grant_type": "client_credentials"} if endpoint == "token"
                            else {"token": token.json["access_token"]}))
    assert post(http, f"/t/acme/{endpoint}", form).status_code == 200
    replay = post(http, f"/t/acme/{endpoint}", form)
    assert replay.status_code == 401 and replay.json["error"] == "invalid_client"
