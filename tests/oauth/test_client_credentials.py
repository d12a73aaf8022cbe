"""client_credentials (RFC 6749 §4.4) and the JWT access token profile (RFC 9068)."""
import base64
import uuid

import jwt as pyjwt
import pytest
from sqlalchemy import select

from api import audit
from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.oauth.models import Grant, Token
from tests.helpers import basic_auth


def test_issues_a_jwt_access_token_with_the_contract_claims(oauth, service, tenant, client):
    app_client, secret = service
    response = oauth.token(app_client.client_id, secret, grant_type="client_credentials")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert "refresh_token" not in body
    header = pyjwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt" and header["kid"]
    jwk = next(k for k in client.get("/t/acme/jwks.json").json["keys"]
               if k["kid"] == header["kid"])
    claims = pyjwt.decode(body["access_token"], pyjwt.PyJWK(jwk).key, algorithms=["RS256"],
                          audience="http://localhost:8080/t/acme/api/v1",
                          issuer="http://localhost:8080/t/acme")
    # RFC 9068 §2.2: sub names the client's service account (its id in /clients/{id})
    assert claims["sub"] == str(app_client.id) and claims["client_id"] == app_client.client_id
    assert claims["tid"] == str(tenant.id)
    assert set(claims["scope"].split()) == {"projects:read", "users:read"}
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["jti"]


def test_client_tokens_are_recorded_as_client_grants(db, oauth, service, tenant):
    app_client, secret = service
    oauth.client_credentials(app_client, secret)
    with tenant_scope(db.session, tenant.id):
        grant = db.session.scalars(select(Grant)).one()
        assert grant.user_id is None and grant.grant_type == "client_credentials"
        assert db.session.scalars(select(Token.grant_id)).all() == [grant.id]
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "token.issued" in actions


def test_grants_tokens_and_jtis_are_time_ordered(db, oauth, service, tenant):
    """UUIDv7 (api.db.uuid7): each issuance writes at the end of the indexes on the grant's
    and the token's ids and on the token's ``jti`` (a UUIDv7's hex digits, in the JWT)."""
    app_client, secret = service
    jtis = [pyjwt.decode(oauth.client_credentials(app_client, secret)["access_token"],
                         options={"verify_signature": False})["jti"] for _ in range(2)]
    with tenant_scope(db.session, tenant.id):
        rows = db.session.execute(select(Token.id, Grant.id, Token.jti).join(Grant)
                                  .order_by(Token.issued_at, Token.id)).all()
    ids = [key for row in rows for key in row[:2]] + [uuid.UUID(hex=jti) for jti in jtis]
    assert len(ids) == 6 and {key.version for key in ids} == {7}
    assert [row.jti for row in rows] == jtis == [key.hex for key in ids[4:]]
    for earlier, later in (rows[0].id, rows[1].id), (ids[4], ids[5]):
        assert earlier.int >> 80 <= later.int >> 80  # Unix milliseconds first


def test_audit_events_have_time_ordered_ids(db, oauth, service, tenant):
    """An issuance's ``token.issued`` (written in the statement that writes the grant and the
    token) and the events recorded through the session (the tenant's own, audit.record) alike
    go to the end of the audit log's primary key index (api.db.uuid7)."""
    app_client, secret = service
    oauth.client_credentials(app_client, secret)
    audit.record("tenant.updated", audit.OPERATOR, tenant, tenant_id=tenant.id)
    db.session.commit()
    with tenant_scope(db.session, tenant.id):
        events = db.session.execute(select(AuditEvent.action, AuditEvent.id)).all()
    assert {"token.issued", "tenant.updated"} <= {event.action for event in events}
    assert {event.id.version for event in events} == {7}


def test_lifetime_comes_from_the_tenant(db, oauth, service, tenant):
    tenant.access_token_lifetime = 120
    db.session.commit()
    app_client, secret = service
    assert oauth.client_credentials(app_client, secret)["expires_in"] == 120


def test_client_secret_post_is_accepted(oauth, service):
    app_client, secret = service
    response = oauth.http.post("/t/acme/token", data={
        "grant_type": "client_credentials", "client_id": app_client.client_id,
        "client_secret": secret})
    assert response.status_code == 200


def test_scope_is_narrowed_to_what_the_client_may_have(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret, scope="projects:read clients:write")
    assert token["scope"] == "projects:read"  # RFC 6749 §3.3: the response says what it got


def test_a_scope_the_client_may_not_have_at_all_is_invalid_scope(oauth, service):
    """RFC 6749 §5.2: not a token with the client's registered scopes instead."""
    app_client, secret = service
    response = oauth.token(app_client.client_id, secret, grant_type="client_credentials",
                           scope="users:write clients:write")
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"
    assert "access_token" not in response.json


def test_no_scope_asked_for_gets_the_registered_scope(oauth, service):
    app_client, secret = service
    token = oauth.client_credentials(app_client, secret)
    assert token["scope"] == app_client.scope


@pytest.mark.parametrize("form,status,error", [
    ({"grant_type": "client_credentials", "scope": "no-such-scope"}, 400, "invalid_scope"),
    ({"grant_type": "password", "username": "a", "password": "b"}, 400, "unauthorized_client"),
    ({"grant_type": "authorization_code", "code": "x"}, 400, "unauthorized_client"),
    ({"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": "x"}, 400,
     "unauthorized_client"),
    ({"grant_type": "urn:example:no-such-grant"}, 400, "unsupported_grant_type"),
])
def test_errors_follow_rfc_6749(oauth, service, form, status, error):
    app_client, secret = service
    response = oauth.token(app_client.client_id, secret, **form)
    assert response.status_code == status
    assert response.json["error"] == error
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_secret_is_invalid_client(oauth, service):
    app_client, _ = service
    response = oauth.token(app_client.client_id, "wrong", grant_type="client_credentials")
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


def test_a_client_is_unknown_under_another_tenant(client, factories, service):
    factories.tenant("other")
    app_client, secret = service
    response = client.post("/t/other/token", data={"grant_type": "client_credentials"},
                           headers=basic_auth(app_client.client_id, secret))
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"


@pytest.mark.parametrize("credentials", [
    b"a\x00b:secret", b"a%00b:secret", b"client:se%00cret", b"\xff\xfe:secret",
    b"caf\xe9:secret",
])
@pytest.mark.parametrize("endpoint", ["token", "revoke", "introspect"])
def test_basic_credentials_that_cannot_name_a_client_are_invalid_client(client, tenant,
                                                                        credentials, endpoint):
    """RFC 6749 §2.3.1 / §5.2: 401 invalid_client with a Basic challenge, never a 500."""
    header = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
    response = client.post(f"/t/acme/{endpoint}", headers=header,
                           data={"grant_type": "client_credentials", "token": "x"})
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.json["error"] == "invalid_client"
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("header", ["Basic \u00e9t\u00e9", "Basic ", " Basic", "Bearer  "])
def test_authorization_headers_authlib_cannot_read_are_invalid_client(client, tenant, header):
    response = client.post("/t/acme/token", data={"grant_type": "client_credentials"},
                           headers={"Authorization": header})
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
