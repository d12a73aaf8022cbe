"""A user's own sign-in sessions and the applications they allowed (``/me/sessions``,
``/me/applications``): which browser, from where, last seen when (throttled); ending one
or all; revoking an application's grants, tokens and remembered consent; and nobody
else's ids, in this tenant or another."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope, utcnow
from api.oauth import backchannel
from api.oauth.models import Consent, SignInSession
from api.outbox.models import OutboxMessage
from tests.helpers import REDIRECT_URI, Api, pkce_pair, query
from tests.oauth.conftest import OAuthHelper

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")
SCOPE = "openid offline_access profile:read profile:write"


@pytest.fixture
def rp(factories, tenant):
    """A third-party web client that may manage its user's sessions (as a test's caller)."""
    return factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                            scope=SCOPE, redirect_uris=(REDIRECT_URI,))


def browser(app, tenant, user_agent: str, ip: str) -> OAuthHelper:
    """A browser of its own (cookies, User-Agent, address)."""
    http = app.test_client()
    http.environ_base.update(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    return OAuthHelper(http, app, tenant)


def signed_in(helper: OAuthHelper, client, secret, email="owner@acme.io", scope=SCOPE,
              remember=False) -> dict:
    """Sign in through the browser (consenting, remembered or not); the tokens."""
    verifier, code_challenge = pkce_pair()
    challenge = helper.challenge_of(helper.authorize(
        client, scope, pkce=False, code_challenge=code_challenge,
        code_challenge_method="S256", ip=helper.http.environ_base["REMOTE_ADDR"]))
    result = helper.log_in(challenge, email).json
    if result.get("consent_required"):
        result = helper.decide(challenge, remember=remember).json
    code = query(helper.follow(result["redirect_to"]).headers["Location"])["code"]
    tokens = helper.token(client.client_id, secret, grant_type="authorization_code", code=code,
                          redirect_uri=REDIRECT_URI, code_verifier=verifier)
    assert tokens.status_code == 200, tokens.json
    return tokens.json


def api(helper: OAuthHelper, tokens: dict) -> Api:
    return Api(helper.http, "acme", tokens["access_token"])


def rows(db, tenant, model, *where):
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return list(db.session.scalars(select(model).where(*where)))


def actions(db, tenant) -> list[str]:
    return [event.action for event in rows(db, tenant, AuditEvent)]


def test_each_session_names_its_browser_and_the_callers_own_is_marked(app, tenant, rp):
    laptop, phone = browser(app, tenant, FIREFOX, "203.0.113.7"), browser(
        app, tenant, PHONE, "2001:db8::42")
    mine = api(laptop, signed_in(laptop, *rp))
    signed_in(phone, *rp)
    listed = mine.get("/me/sessions")
    assert listed.status_code == 200 and listed.json["total"] == 2
    by_agent = {item["user_agent"]: item for item in listed.json["items"]}
    assert by_agent[FIREFOX]["current"] and not by_agent[PHONE]["current"]
    assert by_agent[FIREFOX]["ip_address"] == "203.0.113.7"
    assert by_agent[PHONE]["ip_address"] == "2001:db8::42"
    assert by_agent[PHONE]["created_at"] and by_agent[PHONE]["last_seen_at"]


def test_a_long_user_agent_is_truncated(app, tenant, rp):
    laptop = browser(app, tenant, "A" * 5000, "203.0.113.7")
    [item] = api(laptop, signed_in(laptop, *rp)).get("/me/sessions").json["items"]
    assert item["user_agent"] == "A" * 512


def test_ending_another_session_signs_that_browser_out(app, db, tenant, rp):
    laptop, phone = browser(app, tenant, FIREFOX, "203.0.113.7"), browser(
        app, tenant, PHONE, "198.51.100.2")
    mine = api(laptop, signed_in(laptop, *rp))
    theirs = signed_in(phone, *rp, scope="openid profile:read")
    offline = signed_in(phone, *rp)
    other = next(item["id"] for item in mine.get("/me/sessions").json["items"]
                 if not item["current"])
    assert mine.delete(f"/me/sessions/{other}").status_code == 204
    assert phone.me(theirs["access_token"]).status_code == 401  # its grant ended with it
    refreshed = phone.token(rp[0].client_id, rp[1], grant_type="refresh_token",
                            refresh_token=theirs["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json["error"] == "invalid_grant"
    # Back-Channel Logout 1.0 §2.7: offline access outlives the session (revoke the app)
    assert phone.me(offline["access_token"]).status_code == 200
    assert "/login?challenge=" in phone.authorize(rp[0], SCOPE).headers["Location"]
    assert [item["current"] for item in mine.get("/me/sessions").json["items"]] == [True]
    assert mine.delete(f"/me/sessions/{other}").status_code == 404  # already ended
    ended = [e for e in rows(db, tenant, AuditEvent) if e.action == "session.ended"]
    assert [(e.actor_type, e.target_id, e.details["reason"]) for e in ended] == [
        ("user", other, "ended by its user")]


def test_ending_a_session_tells_its_applications_by_back_channel(app, db, factories, tenant,
                                                                 rp):
    listening, secret = factories.client(
        tenant, grant_types=("authorization_code",), scope="openid",
        redirect_uris=(REDIRECT_URI,), backchannel_logout_uri="https://rp.example/logout")
    laptop, phone = browser(app, tenant, FIREFOX, "203.0.113.7"), browser(
        app, tenant, PHONE, "198.51.100.2")
    mine = api(laptop, signed_in(laptop, *rp))
    signed_in(phone, listening, secret, scope="openid")
    [other] = [item["id"] for item in mine.get("/me/sessions").json["items"]
               if not item["current"]]
    assert mine.delete(f"/me/sessions/{other}").status_code == 204
    [message] = rows(db, tenant, OutboxMessage, OutboxMessage.kind == backchannel.KIND)
    assert message.summary == {"client_id": listening.client_id, "sid": other}


def test_nobody_elses_sessions_in_this_tenant_or_another(app, db, factories, tenant, rp):
    laptop = browser(app, tenant, FIREFOX, "203.0.113.7")
    mine = api(laptop, signed_in(laptop, *rp))
    colleague = factories.user(tenant)
    phone = browser(app, tenant, PHONE, "198.51.100.2")
    signed_in(phone, *rp, email=colleague.email)
    [theirs] = rows(db, tenant, SignInSession, SignInSession.user_id == colleague.id)
    other_tenant, _owner = factories.tenant("globex", owner_email="owner@globex.io")
    factories.activity(other_tenant)
    [foreign] = rows(db, other_tenant, SignInSession)
    assert [item["current"] for item in mine.get("/me/sessions").json["items"]] == [True]
    for session_id in (theirs.id, foreign.id):
        assert mine.delete(f"/me/sessions/{session_id}").status_code == 404
    assert rows(db, tenant, SignInSession, SignInSession.id == theirs.id)[0].ended_at is None
    assert rows(db, other_tenant, SignInSession)[0].ended_at is None


def test_signing_out_everywhere_ends_every_session(app, db, tenant, rp):
    laptop, phone = browser(app, tenant, FIREFOX, "203.0.113.7"), browser(
        app, tenant, PHONE, "198.51.100.2")
    mine = api(laptop, signed_in(laptop, *rp))
    theirs = signed_in(phone, *rp)
    assert mine.delete("/me/sessions").status_code == 204
    assert rows(db, tenant, SignInSession, SignInSession.ended_at.is_(None)) == []
    assert mine.get("/me/sessions").status_code == 401  # its own grant too
    assert phone.me(theirs["access_token"]).status_code == 401
    assert "user.signed_out_everywhere" in actions(db, tenant)


def test_last_seen_is_written_at_most_every_five_minutes(app, db, tenant, rp):
    laptop = browser(app, tenant, FIREFOX, "203.0.113.7")
    signed_in(laptop, *rp)

    def seen_at(ago: timedelta | None = None):
        with tenant_scope(db.session, tenant.id):
            db.session.expire_all()
            row = db.session.scalars(select(SignInSession)).one()
            if ago is not None:
                row.last_seen_at = utcnow() - ago
                db.session.commit()
            return row.last_seen_at

    def visit():
        assert laptop.authorize(rp[0], SCOPE).status_code == 302  # the cookie is read

    four_minutes_ago = seen_at(timedelta(minutes=4))
    visit()
    assert seen_at() == four_minutes_ago
    six_minutes_ago = seen_at(timedelta(minutes=6))
    visit()
    assert seen_at() > six_minutes_ago + timedelta(minutes=5)


def test_the_applications_allowed_are_listed_and_revoked(app, db, factories, tenant, rp):
    laptop = browser(app, tenant, FIREFOX, "203.0.113.7")
    mine = api(laptop, signed_in(laptop, *rp))
    web, web_secret = factories.client(tenant, grant_types=("authorization_code",
                                                            "refresh_token"),
                                       scope="openid email offline_access projects:read",
                                       redirect_uris=(REDIRECT_URI,))
    issued = signed_in(laptop, web, web_secret, scope="openid email offline_access",
                       remember=True)
    listed = mine.get("/me/applications").json
    assert listed["total"] == 2
    [entry] = [item for item in listed["items"] if item["client_id"] == web.client_id]
    assert entry["client_name"] == web.client_name
    assert entry["scope"].split() == ["openid", "email", "offline_access"]
    assert entry["granted_at"] and entry["last_used_at"][:19] >= entry["granted_at"][:19]

    assert mine.delete(f"/me/applications/{web.client_id}").status_code == 204
    assert laptop.me(issued["access_token"]).status_code == 401
    refreshed = laptop.token(web.client_id, web_secret, grant_type="refresh_token",
                             refresh_token=issued["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json["error"] == "invalid_grant"
    assert rows(db, tenant, Consent, Consent.client_id == web.id) == []
    assert "/consent?challenge=" in laptop.authorize(web, "openid email").headers["Location"]
    assert [item["client_id"] for item in mine.get("/me/applications").json["items"]] == [
        rp[0].client_id]
    assert mine.delete(f"/me/applications/{web.client_id}").status_code == 404
    [revoked] = [e for e in rows(db, tenant, AuditEvent) if e.action == "application.revoked"]
    assert revoked.actor_type == "user" and revoked.details == {
        "client_id": web.client_id, "grants": 1, "consent_forgotten": True}
    assert "grant.revoked" in actions(db, tenant)


def test_nobody_elses_applications_in_this_tenant_or_another(app, db, factories, tenant, rp):
    laptop = browser(app, tenant, FIREFOX, "203.0.113.7")
    mine = api(laptop, signed_in(laptop, *rp))
    colleague = factories.user(tenant)
    theirs, theirs_secret = factories.client(tenant, grant_types=("authorization_code",),
                                             scope="openid", redirect_uris=(REDIRECT_URI,))
    phone = browser(app, tenant, PHONE, "198.51.100.2")
    issued = signed_in(phone, theirs, theirs_secret, email=colleague.email, scope="openid",
                       remember=True)
    other_tenant, _owner = factories.tenant("globex", owner_email="owner@globex.io")
    foreign, _secret = factories.client(other_tenant)
    for client_id in (theirs.client_id, foreign.client_id, "no-such-app", "x" * 300):
        assert mine.delete(f"/me/applications/{client_id}").status_code == 404
    assert phone.me(issued["access_token"]).status_code == 200
    assert len(rows(db, tenant, Consent, Consent.client_id == theirs.id)) == 1


def test_first_party_clients_are_not_listed(app, factories, tenant, rp):
    console, _secret = factories.client(tenant, grant_types=("authorization_code",),
                                        scope=SCOPE, redirect_uris=(REDIRECT_URI,),
                                        first_party=True)
    laptop = browser(app, tenant, FIREFOX, "203.0.113.7")
    mine = api(laptop, signed_in(laptop, console, _secret))
    assert mine.get("/me/applications").json == {"items": [], "page": 1, "per_page": 20,
                                                 "total": 0}
    assert mine.delete(f"/me/applications/{console.client_id}").status_code == 404
    assert mine.get("/me/sessions").json["items"][0]["current"]
