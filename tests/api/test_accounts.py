"""End-user accounts through the API: sign-up, verification, password reset, email change,
the password policy and the profile, with mails delivered to a real SMTP server."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from api.accounts.models import AccountToken
from api.audit.models import AuditEvent
from api.db import tenant_scope, utcnow
from api.outbox import services as outbox
from api.users.models import User
from tests.factories import PASSWORD
from tests.helpers import basic_auth
from tests.mailcatcher import link_in, text_of

NEW_PASSWORD = "lanterns over quiet harbours"


@pytest.fixture
def frontend_key(app):
    return {"X-Frontend-Key": app.config["FRONTEND_API_KEY"]}


@pytest.fixture
def open_tenant(owner):
    assert owner.patch("/tenant", json={"self_signup_enabled": True}).status_code == 200
    return owner


@pytest.fixture
def profile_app(factories, tenant):
    """A password-grant client asking for identity claims."""
    return factories.client(tenant, grant_types=("password", "refresh_token"),
                            scope="openid profile email offline_access profile:write")


def mail_to(mailbox, address, count=1):
    outbox.deliver_due(include_waiting=True)
    return mailbox.wait_for(address, count)


def token_of(link: str) -> str:
    return link.split("token=")[1]


def sign_up(client, email, password=PASSWORD, **profile):
    return client.post("/t/acme/api/v1/signup", json={"email": email, "password": password,
                                                      **profile})


def password_grant(client, profile_app, email, password=PASSWORD, scope="openid profile email"):
    app_client, secret = profile_app
    return client.post("/t/acme/token", headers=basic_auth(app_client.client_id, secret),
                       data={"grant_type": "password", "username": email, "password": password,
                             "scope": scope + " offline_access"})


def user_named(db, tenant, email) -> User:
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return db.session.scalar(select(User).where(User.email == email))


def test_sign_up_is_404_unless_the_tenant_allows_it(client, owner, mailbox):
    assert sign_up(client, "jo@acme.io").status_code == 404
    assert owner.patch("/tenant", json={"self_signup_enabled": True}).status_code == 200
    created = sign_up(client, "Jo@Acme.io", name="Jo Doe")
    assert created.status_code == 201
    assert created.json["email"] == "jo@acme.io" and created.json["email_verified"] is False
    assert owner.get(f"/users/{created.json['id']}").json["role"] == "user"


def test_sign_up_then_verify_makes_the_claims_tell_the_truth(db, client, tenant, open_tenant,
                                                             mailbox, frontend_key,
                                                             profile_app):
    assert sign_up(client, "jo@acme.io", given_name="Jo").status_code == 201
    message = mail_to(mailbox, "jo@acme.io")
    assert message["Subject"] == "Verify your email address for Acme"
    assert message["From"].startswith("Acme <")
    before = password_grant(client, profile_app, "jo@acme.io").json
    assert client.get("/t/acme/userinfo", headers={
        "Authorization": f"Bearer {before['access_token']}"}).json["email_verified"] is False
    verified = client.post("/t/acme/sign-in/email-verification", headers=frontend_key,
                           json={"token": token_of(link_in(message))})
    assert verified.status_code == 200 and verified.json == {"email": "jo@acme.io",
                                                             "purpose": "verify_email"}
    info = client.get("/t/acme/userinfo", headers={
        "Authorization": f"Bearer {password_grant(client, profile_app, 'jo@acme.io').json['access_token']}"}).json  # noqa: E501
    assert info["email_verified"] is True and info["given_name"] == "Jo"
    assert "name" not in info and isinstance(info["updated_at"], int)
    replayed = client.post("/t/acme/sign-in/email-verification", headers=frontend_key,
                           json={"token": token_of(link_in(message))})
    assert replayed.status_code == 410 and "already used" in replayed.json["detail"]


def test_bad_links_are_refused_and_change_nothing(db, client, factories, tenant, open_tenant,
                                                  mailbox, frontend_key):
    sign_up(client, "jo@acme.io")
    token = token_of(link_in(mail_to(mailbox, "jo@acme.io")))
    other, _ = factories.tenant("globex", owner_email="boss@globex.io")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for slug, presented, status in (("acme", tampered, 404), ("globex", token, 404)):
        refused = client.post(f"/t/{slug}/sign-in/email-verification", headers=frontend_key,
                              json={"token": presented})
        assert refused.status_code == status, (slug, refused.json)
        assert "not valid" in refused.json["detail"]
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    expired = client.post("/t/acme/sign-in/email-verification", headers=frontend_key,
                          json={"token": token})
    assert expired.status_code == 410 and "expired" in expired.json["detail"]
    assert user_named(db, tenant, "jo@acme.io").email_verified is False
    with tenant_scope(db.session, tenant.id):
        reasons = [e.details["reason"] for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "account_link.rejected"))]
    assert sorted(reasons) == ["expired", "unknown"]  # globex's refusal is in globex's log


def test_forgot_password_answers_the_same_for_known_and_unknown_addresses(
        client, factories, tenant, mailbox, frontend_key):
    factories.user(tenant, email="known@acme.io")
    known = client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                        json={"email": "known@acme.io"})
    unknown = client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                          json={"email": "unknown@acme.io"})
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    assert mail_to(mailbox, "known@acme.io")["Subject"] == "Reset your Acme password"
    assert mailbox.to("unknown@acme.io") == []


def test_reset_ends_every_session_and_the_link_works_once(db, client, factories, tenant,
                                                          mailbox, frontend_key, profile_app):
    factories.user(tenant, email="ann@acme.io")
    tokens = password_grant(client, profile_app, "ann@acme.io").json
    ask = {"headers": frontend_key, "json": {"email": "ann@acme.io"}}
    client.post("/t/acme/sign-in/password-reset", **ask)
    client.post("/t/acme/sign-in/password-reset", **ask)
    older, newer = (token_of(link_in(mail_to(mailbox, "ann@acme.io", n))) for n in (1, 2))
    check = client.post("/t/acme/sign-in/password-reset/check", headers=frontend_key,
                        json={"token": older})
    assert check.status_code == 410 and "newer link" in check.json["detail"]
    assert client.post("/t/acme/sign-in/password-reset/check", headers=frontend_key,
                       json={"token": newer}).json == {"email": "ann@acme.io"}
    done = client.post("/t/acme/sign-in/password-reset/complete", headers=frontend_key,
                       json={"token": newer, "password": NEW_PASSWORD})
    assert done.status_code == 200
    refreshed = client.post("/t/acme/token", headers=basic_auth(profile_app[0].client_id,
                                                                profile_app[1]),
                            data={"grant_type": "refresh_token",
                                  "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json["error"] == "invalid_grant"
    assert client.get("/t/acme/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert password_grant(client, profile_app, "ann@acme.io").status_code == 400
    assert password_grant(client, profile_app, "ann@acme.io", NEW_PASSWORD).status_code == 200
    assert "was just changed" in text_of(mail_to(mailbox, "ann@acme.io", 3))
    again = client.post("/t/acme/sign-in/password-reset/complete", headers=frontend_key,
                        json={"token": newer, "password": "yet another fine passphrase"})
    assert again.status_code == 410
    user = user_named(db, tenant, "ann@acme.io")
    assert user.email_verified


def test_forgot_password_is_throttled_per_address(client, factories, tenant, mailbox,
                                                  frontend_key):
    factories.user(tenant, email="bo@acme.io")
    statuses = [client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                            json={"email": "bo@acme.io"}).status_code for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    assert client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                       json={"email": "other@acme.io"}).status_code == 202


@pytest.mark.parametrize("password, reason", [
    ("short words", "at least 12 characters"),
    ("password1234", "one of the most common passwords"),
    ("qwertyuiopasdf", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "Repeats"),
])
def test_weak_passwords_are_refused_with_the_reason_everywhere(
        client, owner, factories, tenant, open_tenant, mailbox, frontend_key, password, reason):
    def message(response):
        assert response.status_code == 422, response.json
        return " ".join(response.json["errors"]["password"])

    assert reason in message(sign_up(client, "weak@acme.io", password))
    assert reason in message(owner.post("/users", json={"email": "w2@acme.io",
                                                        "password": password}))
    user = factories.user(tenant, email="w3@acme.io")
    assert reason in message(owner.patch(f"/users/{user.id}", json={"password": password}))
    client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                json={"email": "w3@acme.io"})
    token = token_of(link_in(mail_to(mailbox, "w3@acme.io")))
    assert reason in message(client.post("/t/acme/sign-in/password-reset/complete",
                                         headers=frontend_key,
                                         json={"token": token, "password": password}))
    assert client.post("/t/acme/sign-in/password-reset/check", headers=frontend_key,
                       json={"token": token}).status_code == 200  # still usable


def test_the_tenant_sets_the_minimum_length(client, owner, open_tenant):
    assert owner.patch("/tenant", json={"password_min_length": 7}).status_code == 422
    assert owner.patch("/tenant", json={"password_min_length": 30}).json[
        "password_min_length"] == 30
    refused = sign_up(client, "jo@acme.io", PASSWORD)  # 28 characters
    assert refused.json["errors"]["password"] == ["must be at least 30 characters"]
    assert sign_up(client, "jo@acme.io", PASSWORD + " tea").status_code == 201


def test_users_edit_their_profile_and_admins_edit_others(callers, owner, admin, factories,
                                                         tenant):
    member = factories.user(tenant, email="mo@acme.io")
    me = callers.as_user("mo@acme.io")
    edited = me.patch("/me", json={"name": "Mo Reed", "given_name": "Mo",
                                   "family_name": "Reed"})
    assert edited.status_code == 200
    assert edited.json["user"]["name"] == "Mo Reed"
    assert me.patch("/me", json={"email": "x@acme.io"}).status_code == 422
    assert admin.patch(f"/users/{member.id}", json={"family_name": "Reid"}).json[
        "family_name"] == "Reid"
    the_owner = owner.get("/me").json["user"]["id"]
    assert admin.patch(f"/users/{the_owner}", json={"name": "Pwned"}).status_code == 403
    assert callers.as_service().patch("/me", json={"name": "Robot"}).status_code == 403
    narrow = callers.as_user("owner@acme.io", scope="profile:write")  # less than the owner
    assert narrow.patch("/me", json={"name": "Narrow"}).status_code == 403
    assert narrow.post("/me/email", json={"email": "o2@acme.io",
                                          "current_password": PASSWORD}).status_code == 403


def test_email_change_needs_the_password_and_the_new_address(db, callers, factories, tenant,
                                                             mailbox, frontend_key):
    factories.user(tenant, email="cy@acme.io")
    factories.user(tenant, email="taken@acme.io")
    cy = callers.as_user("cy@acme.io")
    wrong = cy.post("/me/email", json={"email": "cy@new.io", "current_password": "not it at all"})
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    assert cy.post("/me/email", json={"email": "taken@acme.io",
                                      "current_password": PASSWORD}).status_code == 409
    asked = cy.post("/me/email", json={"email": "cy@new.io", "current_password": PASSWORD})
    assert asked.status_code == 202
    assert user_named(db, tenant, "cy@acme.io") is not None  # nothing changed yet
    confirm = mail_to(mailbox, "cy@new.io")
    assert "cy@acme.io" in text_of(confirm)
    done = client_post_link(cy.http, frontend_key, confirm)
    assert done.json == {"email": "cy@new.io", "purpose": "change_email"}
    user = user_named(db, tenant, "cy@new.io")
    assert user is not None and user.email_verified
    told = mail_to(mailbox, "cy@acme.io")
    assert "cy@new.io" in text_of(told) and "token=" not in text_of(told)


def client_post_link(http, frontend_key, message):
    return http.post("/t/acme/sign-in/email-verification", headers=frontend_key,
                     json={"token": token_of(link_in(message))})


def test_admins_mail_a_reset_link_but_not_to_owners(owner, admin, factories, tenant, mailbox):
    member = factories.user(tenant, email="dee@acme.io")
    assert admin.post(f"/users/{member.id}/password-reset").status_code == 202
    assert mail_to(mailbox, "dee@acme.io")["Subject"] == "Reset your Acme password"
    the_owner = owner.get("/me").json["user"]["id"]
    assert admin.post(f"/users/{the_owner}/password-reset").status_code == 403
    assert owner.post(f"/users/{the_owner}/password-reset").status_code == 202


def test_requiring_verified_addresses(db, client, owner, open_tenant, tenant, mailbox,
                                      profile_app, frontend_key):
    refused = owner.patch("/tenant", json={"require_verified_email": True})
    assert refused.status_code == 409  # the owner's own address is not verified
    owner_user = user_named(db, tenant, "owner@acme.io")
    with tenant_scope(db.session, tenant.id):
        owner_user.email_verified = True
        db.session.commit()
    assert owner.patch("/tenant", json={"require_verified_email": True}).status_code == 200
    sign_up(client, "new@acme.io")
    denied = password_grant(client, profile_app, "new@acme.io")
    assert denied.status_code == 400 and "not verified" in denied.json["error_description"]
    client_post_link(client, frontend_key, mail_to(mailbox, "new@acme.io"))
    assert password_grant(client, profile_app, "new@acme.io").status_code == 200
