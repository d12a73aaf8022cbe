"""Per-tenant issuers: discovery at both locations, JWKS, key rotation, unknown tenants."""
import pytest
from sqlalchemy import select, update

from api.db import tenant_scope, utcnow
from api.keys.models import SigningKey
from api.tenancy.models import Tenant

REQUIRED = {"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri",
            "revocation_endpoint", "introspection_endpoint", "userinfo_endpoint",
            "grant_types_supported", "response_types_supported", "scopes_supported",
            "token_endpoint_auth_methods_supported", "code_challenge_methods_supported"}


def test_metadata_is_served_at_both_locations(client, tenant):
    oidc = client.get("/t/acme/.well-known/openid-configuration")
    rfc8414 = client.get("/.well-known/oauth-authorization-server/t/acme")
    assert oidc.status_code == rfc8414.status_code == 200
    assert oidc.json == rfc8414.json
    metadata = oidc.json
    assert REQUIRED <= set(metadata)
    assert metadata["issuer"] == "http://localhost:8080/t/acme"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert set(metadata["grant_types_supported"]) == {
        "authorization_code", "client_credentials", "refresh_token", "password",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:token-exchange"}
    assert metadata["device_authorization_endpoint"] == metadata["issuer"] + \
        "/device_authorization"
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt",
        "none"}
    assert {"RS256", "ES256", "HS256"} <= set(
        metadata["token_endpoint_auth_signing_alg_values_supported"])
    assert "none" not in metadata["token_endpoint_auth_signing_alg_values_supported"]
    assert "registration_endpoint" not in metadata  # dynamic registration is off by default
    assert metadata["end_session_endpoint"] == metadata["issuer"] + "/logout"
    assert metadata["backchannel_logout_supported"] is True
    assert metadata["backchannel_logout_session_supported"] is True  # sid in logout tokens
    assert all(metadata[k].startswith(metadata["issuer"] + "/")
               for k in REQUIRED if k.endswith("_endpoint") or k == "jwks_uri")


def test_each_tenant_has_its_own_keys(client, factories, tenant):
    factories.tenant("other")
    mine = client.get("/t/acme/jwks.json").json["keys"]
    theirs = client.get("/t/other/jwks.json").json["keys"]
    assert len(mine) == len(theirs) == 1
    assert mine[0]["kid"] != theirs[0]["kid"]
    assert mine[0]["alg"] == "RS256" and mine[0]["use"] == "sig"
    assert not {"d", "p", "q"} & set(mine[0])


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/jwks.json",
                                  "/authorize", "/api/v1/me"])
def test_unknown_tenant_is_404_everywhere(client, path):
    assert client.get(f"/t/nobody{path}").status_code == 404
    assert client.post("/t/nobody/token", data={"grant_type": "client_credentials"}
                       ).status_code == 404
    assert client.get("/.well-known/oauth-authorization-server/t/nobody").status_code == 404


def test_deleted_tenant_is_404(client, db, tenant):
    db.session.execute(update(Tenant).where(Tenant.id == tenant.id).values(deleted_at=utcnow()))
    db.session.commit()
    assert client.get("/t/acme/.well-known/openid-configuration").status_code == 404
    assert client.get("/t/acme/jwks.json").status_code == 404


def test_rotation_keeps_old_tokens_verifying(cli, oauth, service, client):
    app_client, secret = service
    before = oauth.client_credentials(app_client, secret)["access_token"]
    result = cli.invoke(args=["keys", "rotate", "acme", "--algorithm", "ES256"])
    assert result.exit_code == 0, result.output
    kids = [key["kid"] for key in client.get("/t/acme/jwks.json").json["keys"]]
    assert len(kids) == 2
    after = oauth.client_credentials(app_client, secret)["access_token"]
    assert oauth.me(before).status_code == 200
    assert oauth.me(after).status_code == 200
    from joserfc import jws
    assert jws.extract_compact(after.encode()).protected["alg"] == "ES256"


def test_retired_key_leaves_the_jwks_when_its_tokens_have_expired(cli, db, oauth, service,
                                                                  client, tenant):
    app_client, secret = service
    old_token = oauth.client_credentials(app_client, secret)["access_token"]
    cli.invoke(args=["keys", "rotate", "acme"])
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(SigningKey).where(SigningKey.retired_at.is_not(None))
                           .values(publish_until=utcnow()))
        db.session.commit()
        active = db.session.scalars(select(SigningKey.kid)
                                    .where(SigningKey.retired_at.is_(None))).all()
    assert [k["kid"] for k in client.get("/t/acme/jwks.json").json["keys"]] == active
    assert oauth.me(old_token).status_code == 401
