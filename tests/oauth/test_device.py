"""Device Authorization Grant (RFC 8628): codes, verification through the sign-in hand-off,
polling errors, single use, throttling, tenants apart."""
import re

import pytest
from sqlalchemy import select, update

from api.db import tenant_scope, utcnow
from api.oauth.models import DeviceAuthorization
from tests.helpers import query

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture
def tv(factories, tenant):
    """A public device client (a TV app, a CLI)."""
    return factories.client(tenant, grant_types=(DEVICE_GRANT, "refresh_token"),
                            scope="openid offline_access projects:read", public=True)[0]


def start(oauth, client, **form):
    response = oauth.http.post(f"{oauth.base}/device_authorization",
                               data={"client_id": client.client_id, **form})
    assert response.status_code == 200, response.json
    return response.json


def poll(oauth, client, device_code):
    return oauth.token(client.client_id, grant_type=DEVICE_GRANT, device_code=device_code)


def verify(oauth, user_code, email, approve=True):
    """The browser at the API with the code, then the frontend settling the challenge."""
    to_frontend = oauth.http.get(f"{oauth.base}/device/verify", query_string={
        "user_code": user_code})
    assert "/login?challenge=" in to_frontend.headers["Location"], to_frontend.headers
    challenge = query(to_frontend.headers["Location"])["challenge"]
    logged_in = oauth.log_in(challenge, email)
    assert logged_in.json["consent_required"] and logged_in.json["kind"] == "device"
    decided = oauth.decide(challenge, approve=approve)
    back = oauth.follow(decided.json["redirect_to"])
    assert back.status_code == 302
    return query(back.headers["Location"])


def test_device_authorization_response(oauth, tv, tenant):
    body = start(oauth, tv, scope="openid projects:read")
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == "http://localhost:8000/t/acme/device"
    assert body["verification_uri_complete"] == (body["verification_uri"] + "?user_code="
                                                 + body["user_code"])
    assert body["interval"] == 5 and body["expires_in"] == 600


def test_codes_are_stored_as_digests(db, oauth, tv, tenant):
    body = start(oauth, tv)
    with tenant_scope(db.session, tenant.id):
        row = db.session.scalars(select(DeviceAuthorization)).one()
    assert body["device_code"] not in (row.device_code_hash, row.user_code_hash)
    assert len(row.device_code_hash) == len(row.user_code_hash) == 64


def test_pending_then_slow_down_then_approved_once(db, oauth, tv, factories, tenant):
    user = factories.user(tenant)
    body = start(oauth, tv, scope="openid projects:read")
    assert poll(oauth, tv, body["device_code"]).json["error"] == "authorization_pending"
    slow = poll(oauth, tv, body["device_code"])
    assert slow.status_code == 400 and slow.json["error"] == "slow_down"
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(DeviceAuthorization.interval)).one() == 10
    # lower-case, without the hyphen: the same code
    assert verify(oauth, body["user_code"].replace("-", "").lower(), user.email) == {
        "result": "approved"}
    tokens = poll(oauth, tv, body["device_code"])
    assert tokens.status_code == 200, tokens.json
    assert tokens.json["scope"] == "openid projects:read" and tokens.json["refresh_token"]
    assert oauth.me(tokens.json["access_token"]).json["user"]["email"] == user.email
    again = poll(oauth, tv, body["device_code"])
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    # the user code is single-use too
    used = oauth.http.get(f"{oauth.base}/device/verify",
                          query_string={"user_code": body["user_code"]})
    assert used.headers["Location"].endswith("/t/acme/device?error=invalid_code")


def test_denied(oauth, tv, factories, tenant):
    user = factories.user(tenant)
    body = start(oauth, tv)
    assert verify(oauth, body["user_code"], user.email, approve=False) == {"result": "denied"}
    assert poll(oauth, tv, body["device_code"]).json["error"] == "access_denied"


def test_expired(db, oauth, tv, tenant):
    body = start(oauth, tv)
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(DeviceAuthorization).values(expires_at=utcnow()))
    assert poll(oauth, tv, body["device_code"]).json["error"] == "expired_token"
    late = oauth.http.get(f"{oauth.base}/device/verify",
                          query_string={"user_code": body["user_code"]})
    assert late.headers["Location"].endswith("?error=invalid_code")


def test_only_clients_registered_for_the_grant(oauth, service):
    app_client, secret = service
    response = oauth.http.post(f"{oauth.base}/device_authorization",
                               data={"client_id": app_client.client_id,
                                     "client_secret": secret})
    assert response.status_code == 400 and response.json["error"] == "unauthorized_client"


def test_user_code_guesses_are_throttled_per_address(oauth, tv):
    body = start(oauth, tv)
    for _ in range(10):
        wrong = oauth.http.get(f"{oauth.base}/device/verify",
                               query_string={"user_code": "BBBB-BBBB"})
        assert wrong.headers["Location"].endswith("?error=invalid_code")
    right = oauth.http.get(f"{oauth.base}/device/verify",
                           query_string={"user_code": body["user_code"]})
    assert right.headers["Location"].endswith("?error=throttled")


def test_another_tenants_device_code_and_user_code_are_unknown(oauth, tv, factories):
    other, _ = factories.tenant("other")
    their_tv = factories.client(other, grant_types=(DEVICE_GRANT,), public=True)[0]
    body = oauth.http.post("/t/other/device_authorization",
                           data={"client_id": their_tv.client_id}).json
    at_acme = oauth.http.get(f"{oauth.base}/device/verify",
                             query_string={"user_code": body["user_code"]})
    assert at_acme.headers["Location"].endswith("/t/acme/device?error=invalid_code")
    polled = poll(oauth, tv, body["device_code"])
    assert polled.status_code == 400 and polled.json["error"] == "invalid_grant"
