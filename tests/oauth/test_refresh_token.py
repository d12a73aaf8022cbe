"""refresh_token (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14)."""
from sqlalchemy import select

from api.db import tenant_scope
from api.oauth.models import Grant
from api.rbac.services import role_by_name
from api.users.models import User


def refresh(oauth, app_client, secret, refresh_token, **form):
    return oauth.token(app_client.client_id, secret, grant_type="refresh_token",
                       refresh_token=refresh_token, **form)


def test_refresh_rotates_and_keeps_the_grant(db, oauth, web_app, tenant):
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "owner@acme.io")
    second = refresh(oauth, app_client, secret, first["refresh_token"])
    assert second.status_code == 200
    assert second.headers["Cache-Control"] == "no-store"
    assert second.json["refresh_token"] != first["refresh_token"]
    assert second.json["scope"] == first["scope"]
    with tenant_scope(db.session, tenant.id):
        assert len(db.session.scalars(select(Grant)).all()) == 1


def test_reusing_a_rotated_refresh_token_revokes_the_whole_grant(db, oauth, web_app, tenant):
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "owner@acme.io")
    second = refresh(oauth, app_client, secret, first["refresh_token"]).json
    reused = refresh(oauth, app_client, secret, first["refresh_token"])
    assert reused.status_code == 400 and reused.json["error"] == "invalid_grant"
    assert oauth.me(second["access_token"]).status_code == 401
    assert oauth.me(first["access_token"]).status_code == 401
    assert refresh(oauth, app_client, secret, second["refresh_token"]).json["error"] == \
        "invalid_grant"
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(Grant)).one().revoked_at is not None


def test_refresh_can_narrow_but_never_widen_scope(oauth, web_app):
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "owner@acme.io", scope="openid profile:read")
    wider = refresh(oauth, app_client, secret, first["refresh_token"],
                    scope="openid profile:read users:read")
    assert wider.status_code == 400 and wider.json["error"] == "invalid_scope"
    narrower = refresh(oauth, app_client, secret, first["refresh_token"], scope="openid")
    assert narrower.status_code == 200 and narrower.json["scope"] == "openid"


def test_another_clients_refresh_token_is_refused_and_not_burned(oauth, factories, web_app,
                                                                 tenant):
    app_client, secret = web_app
    other, other_secret = factories.client(tenant, grant_types=("authorization_code",
                                                                "refresh_token"),
                                           scope="openid", redirect_uris=("https://x.example/",))
    first = oauth.code_tokens(app_client, secret, "owner@acme.io")
    stolen = refresh(oauth, other, other_secret, first["refresh_token"])
    assert stolen.json["error"] == "invalid_grant"
    assert refresh(oauth, app_client, secret, first["refresh_token"]).status_code == 200


def test_refresh_token_of_another_tenant_is_worthless(oauth, factories, web_app):
    factories.tenant("other")
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "owner@acme.io")
    oauth.base = "/t/other"
    assert refresh(oauth, app_client, secret, first["refresh_token"]).status_code == 401


def test_a_demoted_user_refreshes_into_fewer_permissions(db, oauth, factories, web_app, tenant):
    factories.user(tenant, email="ann@acme.io", role="admin")
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "ann@acme.io", scope="openid users:read")
    assert first["scope"] == "openid users:read"
    with tenant_scope(db.session, tenant.id):
        ann = db.session.scalar(select(User).where(User.email == "ann@acme.io"))
        ann.roles = [role_by_name("user")]
        db.session.commit()
    second = refresh(oauth, app_client, secret, first["refresh_token"])
    assert second.status_code == 200 and second.json["scope"] == "openid"


def test_a_deactivated_user_cannot_refresh(db, oauth, factories, web_app, tenant):
    factories.user(tenant, email="bob@acme.io")
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "bob@acme.io")
    with tenant_scope(db.session, tenant.id):
        db.session.scalar(select(User).where(User.email == "bob@acme.io")).is_active = False
        db.session.commit()
    response = refresh(oauth, app_client, secret, first["refresh_token"])
    assert response.status_code == 400


def test_a_refused_refresh_leaves_the_refresh_token_unused(db, oauth, factories, web_app,
                                                           tenant):
    """Refused once nothing it asks for is left to the user (invalid_scope), the refresh has
    changed nothing: the same refresh token works once the user holds the permission again."""
    factories.user(tenant, email="ann@acme.io", role="admin")
    app_client, secret = web_app
    first = oauth.code_tokens(app_client, secret, "ann@acme.io", scope="users:read")

    def make(role: str) -> None:
        with tenant_scope(db.session, tenant.id):
            ann = db.session.scalar(select(User).where(User.email == "ann@acme.io"))
            ann.roles = [role_by_name(role)]
            db.session.commit()

    make("user")
    refused = refresh(oauth, app_client, secret, first["refresh_token"])
    assert refused.status_code == 400 and refused.json["error"] == "invalid_scope"
    make("admin")
    second = refresh(oauth, app_client, secret, first["refresh_token"])
    assert second.status_code == 200 and second.json["scope"] == "users:read"
