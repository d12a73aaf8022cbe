"""password grant (RFC 6749 §4.3) and the sign-in throttling it shares."""
import time

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.security import digest
from api.users import authentication
from tests.factories import PASSWORD
from tests.helpers import basic_auth


@pytest.fixture
def legacy_app(factories, tenant):
    return factories.client(tenant, grant_types=("password", "refresh_token"),
                            scope="openid projects:read users:read")


def password_grant(oauth, legacy_app, username, password=PASSWORD, ip="127.0.0.1", **extra):
    app_client, secret = legacy_app
    return oauth.http.post("/t/acme/token", environ_base={"REMOTE_ADDR": ip},
                           headers=basic_auth(app_client.client_id, secret),
                           data={"grant_type": "password", "username": username,
                                 "password": password, **extra})


def test_password_grant_issues_a_user_token(oauth, factories, tenant, legacy_app):
    factories.user(tenant, email="pat@acme.io", role="user")
    response = password_grant(oauth, legacy_app, "pat@acme.io")
    assert response.status_code == 200
    assert response.json["scope"] == "openid projects:read"  # narrowed by the user's role
    assert response.json["refresh_token"]
    me = oauth.me(response.json["access_token"]).json
    assert me["type"] == "user" and me["user"]["email"] == "pat@acme.io"


def test_password_grant_for_none_of_the_users_permissions_is_invalid_scope(
        oauth, factories, tenant, legacy_app):
    factories.user(tenant, email="pat@acme.io", role="user")
    response = password_grant(oauth, legacy_app, "pat@acme.io", scope="users:read")
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"
    outside = password_grant(oauth, legacy_app, "pat@acme.io", scope="clients:write")
    assert outside.status_code == 400 and outside.json["error"] == "invalid_scope"


def test_password_grant_is_off_for_clients_not_registered_for_it(oauth, web_app):
    response = password_grant(oauth, web_app, "owner@acme.io")
    assert response.status_code == 400 and response.json["error"] == "unauthorized_client"


def test_unknown_user_and_wrong_password_look_the_same(oauth, legacy_app):
    wrong = password_grant(oauth, legacy_app, "owner@acme.io", "not the password")
    unknown = password_grant(oauth, legacy_app, "ghost@acme.io", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json == unknown.json and wrong.json["error"] == "invalid_grant"


def test_failures_are_throttled_per_account_and_recorded(db, oauth, tenant, legacy_app):
    for _ in range(authentication.ACCOUNT_AND_IP_LIMIT):
        assert password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234").json[
            "error"] == "invalid_grant"
    throttled = password_grant(oauth, legacy_app, "owner@acme.io")  # even the right password
    assert throttled.status_code == 400
    assert "Too many" in throttled.json["error_description"]
    with tenant_scope(db.session, tenant.id):
        actions = db.session.scalars(select(AuditEvent.action)
                                     .where(AuditEvent.action.like("sign_in.%"))).all()
    assert actions.count("sign_in.failed") == authentication.ACCOUNT_AND_IP_LIMIT
    assert "sign_in.throttled" in actions


def test_throttling_ends_with_its_window(monkeypatch, oauth, legacy_app):
    for _ in range(authentication.ACCOUNT_AND_IP_LIMIT + 1):
        password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234")
    assert password_grant(oauth, legacy_app, "owner@acme.io").status_code == 400
    import api.ratelimit.services as ratelimit
    later = ratelimit.time.time() + authentication.WINDOW_SECONDS
    monkeypatch.setattr(ratelimit.time, "time", lambda: later)
    assert password_grant(oauth, legacy_app, "owner@acme.io").status_code == 200


def test_a_success_does_not_count_against_the_limit(oauth, legacy_app):
    for _ in range(authentication.ACCOUNT_AND_IP_LIMIT + 2):
        assert password_grant(oauth, legacy_app, "owner@acme.io").status_code == 200


def test_a_success_clears_its_address_count_and_gives_back_its_other_hits(
        db, oauth, tenant, legacy_app):
    from api.ratelimit.models import ThrottleCounter

    for _ in range(3):
        password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234")
    assert password_grant(oauth, legacy_app, "owner@acme.io").status_code == 200
    counters = {key.rsplit(":", 1)[0]: hits for key, hits in  # rows: {digest of key}:{window}
                db.session.execute(select(ThrottleCounter.key, ThrottleCounter.hits))}
    account = f"signin:{tenant.id}:owner@acme.io"
    assert digest(f"{account}:127.0.0.1") not in counters
    assert counters[digest(account)] == 3  # the owner's success does not wipe out an attack's
    assert counters[digest("signin-ip:127.0.0.1")] == 3


def test_hammering_from_one_address_does_not_lock_the_owner_out(oauth, legacy_app):
    """Per account and address, not per account: the owner still signs in elsewhere."""
    for _ in range(30):
        assert password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234",
                              ip="203.0.113.66").status_code == 400
    assert password_grant(oauth, legacy_app, "owner@acme.io", ip="198.51.100.10"
                          ).status_code == 200


def test_guessing_from_many_addresses_slows_down_without_locking(oauth, legacy_app):
    for number in range(authentication.SLOWDOWN_AFTER + 3):
        password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234",
                       ip=f"203.0.113.{number}")
    started = time.monotonic()
    response = password_grant(oauth, legacy_app, "owner@acme.io", ip="198.51.100.10")
    assert response.status_code == 200  # the right password from anywhere still works
    waited = authentication.slowdown(authentication.SLOWDOWN_AFTER + 4)
    assert waited == pytest.approx(0.4) and time.monotonic() - started >= waited


def test_past_the_ceiling_the_account_refuses_everyone_for_the_window(
        monkeypatch, oauth, legacy_app):
    monkeypatch.setattr(authentication, "ACCOUNT_CEILING", 3)
    for number in range(3):
        password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234",
                       ip=f"203.0.113.{number}")
    refused = password_grant(oauth, legacy_app, "owner@acme.io", ip="198.51.100.10")
    assert refused.status_code == 400 and "Too many" in refused.json["error_description"]


def test_the_slowdown_grows_then_stops_growing():
    assert authentication.slowdown(authentication.SLOWDOWN_AFTER) == 0
    assert authentication.slowdown(authentication.SLOWDOWN_AFTER + 1) == pytest.approx(0.1)
    assert authentication.slowdown(authentication.ACCOUNT_CEILING) == \
        authentication.SLOWDOWN_MAX_SECONDS


def test_a_username_of_any_length_is_refused_and_audited_not_a_500(db, oauth, legacy_app,
                                                                   tenant):
    username = "x" * 5000 + "@acme.io"  # longer than the counters' key and the audit's actor
    response = password_grant(oauth, legacy_app, username, "bad guess 1234")
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"
    with tenant_scope(db.session, tenant.id):
        event = db.session.scalars(select(AuditEvent)
                                   .where(AuditEvent.action == "sign_in.failed")).one()
    assert event.actor == username[:320] and event.details["email"] == username
