"""password grant (RFC 6749 §4.3) and the sign-in throttling it shares."""
import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.users import authentication
from tests.factories import PASSWORD


@pytest.fixture
def legacy_app(factories, tenant):
    return factories.client(tenant, grant_types=("password", "refresh_token"),
                            scope="openid projects:read users:read")


def password_grant(oauth, legacy_app, username, password=PASSWORD, **extra):
    app_client, secret = legacy_app
    return oauth.token(app_client.client_id, secret, grant_type="password",
                       username=username, password=password, **extra)


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


def test_a_success_clears_the_account_counters_and_gives_back_its_ip_hit(db, oauth, legacy_app):
    from api.ratelimit.models import ThrottleCounter

    for _ in range(3):
        password_grant(oauth, legacy_app, "owner@acme.io", "bad guess 1234")
    assert password_grant(oauth, legacy_app, "owner@acme.io").status_code == 200
    counters = {key.rsplit(":", 1)[0]: hits for key, hits in
                db.session.execute(select(ThrottleCounter.key, ThrottleCounter.hits))}
    assert not [key for key in counters if key.startswith("signin:")]
    assert counters["signin-ip:127.0.0.1"] == 3
