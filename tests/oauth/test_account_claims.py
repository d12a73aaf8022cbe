"""What accounts change in the protocol: profile and email claims in the ID token, and the
API's sign-in session voided by a password reset."""
import jwt as pyjwt
import pytest

from api.db import tenant_scope
from api.outbox import services as outbox
from tests.helpers import REDIRECT_URI
from tests.mailcatcher import link_in

PROFILE_SCOPE = "openid profile email"


@pytest.fixture
def identity_app(factories, tenant):
    return factories.client(tenant, grant_types=("authorization_code",), scope=PROFILE_SCOPE,
                            redirect_uris=(REDIRECT_URI,))


def test_the_id_token_carries_the_profile_and_the_truth_about_the_email(
        db, oauth, factories, tenant, identity_app):
    user = factories.user(tenant, email="ida@acme.io")
    with tenant_scope(db.session, tenant.id):
        user.name, user.family_name, user.email_verified = "Ida Lovelace", "Lovelace", True
        db.session.commit()
    client, secret = identity_app
    tokens = oauth.code_tokens(client, secret, "ida@acme.io", scope=PROFILE_SCOPE)
    claims = pyjwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["name"] == "Ida Lovelace" and claims["family_name"] == "Lovelace"
    assert "given_name" not in claims  # unset claims are left out (OIDC Core §5.3.2)
    assert claims["email"] == "ida@acme.io" and claims["email_verified"] is True
    assert claims["updated_at"] == int(user.profile_updated_at.timestamp())


def test_a_password_reset_voids_the_browser_sign_in_session(oauth, factories, tenant,
                                                            identity_app, client, mailbox):
    factories.user(tenant, email="rex@acme.io")
    app_client, _ = identity_app
    pkce = {"code_challenge": "x" * 43, "code_challenge_method": "S256"}
    oauth.code_flow(app_client, "rex@acme.io", scope="openid", approve=True, **pkce)
    signed_in = oauth.authorize(app_client, scope="openid", **pkce)
    assert "/t/acme/consent?challenge=" in signed_in.headers["Location"]  # no password asked
    key = {"X-Frontend-Key": oauth.app.config["FRONTEND_API_KEY"]}
    client.post("/t/acme/sign-in/password-reset", headers=key, json={"email": "rex@acme.io"})
    outbox.deliver_due()
    link = link_in(mailbox.wait_for("rex@acme.io"))
    done = client.post("/t/acme/sign-in/password-reset/complete", headers=key, json={
        "token": link.split("token=")[1], "password": "lanterns over quiet harbours"})
    assert done.status_code == 200
    after = oauth.authorize(app_client, scope="openid", **pkce)
    assert "/t/acme/login?challenge=" in after.headers["Location"]  # the session is void
