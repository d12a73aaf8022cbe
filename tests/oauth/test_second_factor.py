"""The second step of a sign-in (TOTP, recovery codes), the enrolment a policy or a client
asks for, step-up of a session without a second factor, throttling, and the password
grant's refusal."""
import json

import jwt
import pytest
from sqlalchemy import select, update

from api import audit
from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.extensions import db
from api.mfa.models import TotpFactor
from api.outbox import services as outbox
from api.tenancy import services as tenancy
from api.users import authentication
from tests.factories import PASSWORD, Authenticator
from tests.helpers import REDIRECT_URI, basic_auth, pkce_pair, query

MFA_AMR = ["pwd", "otp", "mfa"]


@pytest.fixture
def pat(factories, tenant):
    return factories.user(tenant, email="pat@acme.io")


@pytest.fixture
def pats_app(factories, tenant, pat):
    """Pat's authenticator app and recovery codes."""
    return factories.second_factor(tenant, pat)


def set_policy(tenant, value):
    with tenant_scope(db.session, tenant.id):
        tenancy.update_tenant(tenancy.fresh(tenant), {"mfa_policy": value}, audit.OPERATOR)


def second_factor(oauth, challenge, code, factor="totp", ip="127.0.0.1"):
    return oauth.http.post(f"{oauth.base}/sign-in/challenges/{challenge}/second-factor",
                           json={"factor": factor, "code": code, "ip": ip},
                           headers=oauth.frontend_key)


class Flow:
    """One authorization code flow of ``web_app``, step by step."""

    def __init__(self, oauth, web_app, email="pat@acme.io", **params):
        self.oauth, (self.client, self.secret) = oauth, web_app
        self.verifier, pkce = pkce_pair()
        self.challenge = oauth.challenge_of(oauth.authorize(
            self.client, "openid", code_challenge=pkce, code_challenge_method="S256",
            pkce=False, **params))
        self.login = oauth.log_in(self.challenge, email)
        assert self.login.status_code == 200, self.login.json

    def second_factor(self, code, factor="totp", ip="127.0.0.1"):
        return second_factor(self.oauth, self.challenge, code, factor, ip)

    def id_token(self, result: dict) -> dict:
        """After a step's ``result``: consent when asked, back to the API, the code to the
        client, redeemed: the ID token's claims."""
        if "redirect_to" not in result:
            assert result["status"] == "authenticated" and result["consent_required"]
            result = self.oauth.decide(self.challenge).json
        code = query(self.oauth.follow(result["redirect_to"]).headers["Location"])["code"]
        tokens = self.oauth.token(self.client.client_id, self.secret,
                                  grant_type="authorization_code", code=code,
                                  redirect_uri=REDIRECT_URI, code_verifier=self.verifier)
        assert tokens.status_code == 200, tokens.json
        return jwt.decode(tokens.json["id_token"], options={"verify_signature": False})


def events(db, tenant, action):
    with tenant_scope(db.session, tenant.id):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_user_with_an_authenticator_needs_its_code_after_the_password(
        oauth, web_app, pats_app):
    app, _ = pats_app
    flow = Flow(oauth, web_app)
    assert flow.login.json["status"] == "second_factor"
    assert "redirect_to" not in flow.login.json
    assert flow.login.json["factors"] == ["totp", "recovery_code"]
    assert oauth.decide(flow.challenge).status_code == 409  # nothing before the second step
    done = flow.second_factor(app.code())
    assert done.status_code == 200, done.json
    claims = flow.id_token(done.json)
    assert claims["amr"] == MFA_AMR


def test_a_user_without_one_signs_in_with_the_password(oauth, web_app, pat):
    flow = Flow(oauth, web_app)
    assert flow.login.json["status"] == "authenticated"
    assert flow.id_token(flow.login.json)["amr"] == ["pwd"]


def test_each_code_works_once(oauth, web_app, pats_app):
    app, _ = pats_app
    assert Flow(oauth, web_app).second_factor(app.code()).status_code == 200
    again = Flow(oauth, web_app)
    replayed = again.second_factor(app.code())
    assert replayed.status_code == 401 and replayed.json["errors"] == {"code": ["is not valid"]}
    assert again.second_factor(app.code(-1)).status_code == 401  # an earlier step's, too
    assert again.second_factor(app.code(1)).status_code == 200


@pytest.mark.parametrize("steps, status", [(-1, 200), (0, 200), (1, 200), (-2, 401), (2, 401)])
def test_codes_of_one_step_either_side_are_accepted(db, oauth, tenant, web_app, pats_app,
                                                    steps, status):
    app, _ = pats_app
    with tenant_scope(db.session, tenant.id):  # as if the enrolment's code were long ago
        db.session.execute(update(TotpFactor).values(last_used_step=1))
        db.session.commit()
    assert Flow(oauth, web_app).second_factor(app.code(steps)).status_code == status


def test_a_recovery_code_works_exactly_once_and_is_mailed(db, oauth, tenant, web_app,
                                                          pats_app, mailbox):
    _, codes = pats_app
    assert len(codes) == 10 and len(set(codes)) == 10
    done = Flow(oauth, web_app).second_factor(codes[3].upper().replace("-", " "),
                                              "recovery_code")
    assert done.status_code == 200, done.json
    assert Flow(oauth, web_app).second_factor(codes[3], "recovery_code").status_code == 401
    assert [e.details["remaining"] for e in events(db, tenant, "mfa.recovery_code_used")] == [9]
    outbox.deliver_due(include_waiting=True)
    message = mailbox.wait_for("pat@acme.io")
    assert message["Subject"] == "A recovery code was used to sign in to Acme"
    assert "you have 9 left" in message.get_body(("plain",)).get_content()


def test_another_tenants_factor_is_never_accepted(factories, oauth, web_app, pat):
    other, _ = factories.tenant("globex")
    namesake = factories.user(other, email="pat@acme.io")
    their_app, their_codes = factories.second_factor(other, namesake)
    mine, _ = factories.second_factor(oauth.tenant, pat)
    flow = Flow(oauth, web_app)
    assert flow.second_factor(their_app.code()).status_code == 401
    assert flow.second_factor(their_codes[0], "recovery_code").status_code == 401
    assert flow.second_factor(mine.code()).status_code == 200


def test_the_second_step_is_throttled_per_account_and_address(db, oauth, tenant, web_app,
                                                              pats_app, monkeypatch):
    monkeypatch.setattr(authentication, "SLOWDOWN_AFTER", 1000)
    app, _ = pats_app
    flow = Flow(oauth, web_app)
    for _ in range(authentication.ACCOUNT_AND_IP_LIMIT):
        assert flow.second_factor("000000").status_code == 401
    assert flow.second_factor(app.code()).status_code == 429  # even the right code, now
    assert events(db, tenant, "second_factor.throttled")
    # from other addresses, until the account's own ceiling
    ips = (f"10.0.0.{n}" for n in range(1, 100))
    failures = authentication.ACCOUNT_AND_IP_LIMIT
    while failures < authentication.SECOND_FACTOR_CEILING:
        assert flow.second_factor("000000", ip=next(ips)).status_code == 401
        failures += 1
    assert flow.second_factor(app.code(), ip=next(ips)).status_code == 429


def test_unknown_factors_are_refused_by_name(oauth, web_app, pats_app):
    refused = Flow(oauth, web_app).second_factor("123456", factor="sms")
    assert refused.status_code == 422 and "factor" in refused.json["errors"]


def enrol(oauth, challenge):
    path = f"{oauth.base}/sign-in/challenges/{challenge}/enrolment/totp"
    started = oauth.http.post(path, headers=oauth.frontend_key)
    assert started.status_code == 200, started.json
    assert started.json["otpauth_uri"].startswith("otpauth://totp/")
    assert started.json["qr_svg"].startswith("<svg")
    app = Authenticator(started.json["secret"])
    return app, oauth.http.post(f"{path}/confirm", json={"code": app.code()},
                                headers=oauth.frontend_key)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_required_for_admins_makes_admins_enrol_before_any_code(factories, oauth, tenant,
                                                                web_app, role):
    set_policy(tenant, "required_for_admins")
    user = factories.user(tenant, role=role) if role != "owner" else None
    email = user.email if user else "owner@acme.io"
    flow = Flow(oauth, web_app, email)
    assert flow.login.json["status"] == "enrol" and "redirect_to" not in flow.login.json
    app, confirmed = enrol(oauth, flow.challenge)
    assert confirmed.status_code == 200, confirmed.json
    assert len(confirmed.json["recovery_codes"]) == 10
    assert flow.id_token(confirmed.json)["amr"] == MFA_AMR


def test_required_for_admins_leaves_users_alone(oauth, tenant, web_app, pat):
    set_policy(tenant, "required_for_admins")
    assert Flow(oauth, web_app).login.json["status"] == "authenticated"


def test_a_client_asking_for_mfa_gets_it_or_an_error(oauth, tenant, web_app, pat):
    flow = Flow(oauth, web_app, acr_values="urn:tessera:acr:mfa")
    assert flow.login.json["status"] == "enrol"
    app, confirmed = enrol(oauth, flow.challenge)
    claims = flow.id_token(confirmed.json)
    assert claims["amr"] == MFA_AMR and claims["acr"] == "urn:tessera:acr:mfa"


def test_where_the_policy_is_off_a_wish_for_mfa_goes_unmet_and_a_requirement_fails(
        oauth, tenant, web_app, pat):
    set_policy(tenant, "off")
    wish = Flow(oauth, web_app, acr_values="urn:tessera:acr:mfa")
    assert wish.login.json["status"] == "authenticated"
    claims = wish.id_token(wish.login.json)
    assert claims["amr"] == ["pwd"] and claims["acr"] == "urn:tessera:acr:pwd"
    required = Flow(oauth, web_app, claims=json.dumps(
        {"id_token": {"acr": {"essential": True, "value": "urn:tessera:acr:mfa"}}}))
    result = required.login.json
    if "redirect_to" not in result:
        result = oauth.decide(required.challenge).json
    back = oauth.follow(result["redirect_to"])
    assert query(back.headers["Location"])["error"] == "unmet_authentication_requirements"


def test_a_session_without_a_second_factor_steps_up_when_one_is_needed(oauth, web_app, pat):
    flow = Flow(oauth, web_app)
    assert flow.id_token(flow.login.json)["amr"] == ["pwd"]  # signed in, password alone
    again = oauth.authorize(web_app[0], "openid", acr_values="urn:tessera:acr:mfa")
    assert "/login?challenge=" in again.headers["Location"]
    silent = oauth.authorize(web_app[0], "openid", acr_values="urn:tessera:acr:mfa",
                             prompt="none")
    assert query(silent.headers["Location"])["error"] == "interaction_required"


def test_a_session_from_before_the_policy_required_mfa_steps_up(oauth, tenant, web_app):
    flow = Flow(oauth, web_app, "owner@acme.io")
    flow.id_token(flow.login.json)
    set_policy(tenant, "required_for_admins")
    again = oauth.authorize(web_app[0], "openid")
    assert "/login?challenge=" in again.headers["Location"]
    again = oauth.authorize(web_app[0], "openid", prompt="none")
    assert query(again.headers["Location"])["error"] == "interaction_required"


def test_the_password_grant_refuses_users_with_a_second_factor(oauth, factories, tenant,
                                                               pats_app):
    legacy, secret = factories.client(tenant, grant_types=("password",), scope="openid")

    def grant(email):
        return oauth.http.post(f"{oauth.base}/token", headers=basic_auth(legacy.client_id,
                                                                         secret),
                               data={"grant_type": "password", "username": email,
                                     "password": PASSWORD})

    refused = grant("pat@acme.io")
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"
    assert "second factor" in refused.json["error_description"]
    assert grant("owner@acme.io").status_code == 200
    set_policy(tenant, "required_for_admins")
    assert grant("owner@acme.io").json["error"] == "invalid_grant"


def test_the_console_signs_in_again_once_the_policy_asks_for_a_second_factor(
        oauth, factories, tenant, pat):
    console, _ = factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                                  scope="openid offline_access", public=True,
                                  first_party=True, redirect_uris=(REDIRECT_URI,))
    issued = oauth.code_tokens(console, None, "owner@acme.io", scope="openid offline_access")

    def refresh(token):
        return oauth.token(console.client_id, grant_type="refresh_token", refresh_token=token)

    refreshed = refresh(issued["refresh_token"])
    assert refreshed.status_code == 200
    set_policy(tenant, "required_for_admins")
    refused = refresh(refreshed.json["refresh_token"])
    assert refused.status_code == 400 and refused.json["error"] == "invalid_grant"


def test_other_applications_keep_their_grants_when_the_policy_changes(oauth, web_app, tenant):
    flow = Flow(oauth, web_app, "owner@acme.io")
    result = flow.login.json
    if "redirect_to" not in result:
        result = oauth.decide(flow.challenge).json
    code = query(oauth.follow(result["redirect_to"]).headers["Location"])["code"]
    tokens = oauth.token(flow.client.client_id, flow.secret, grant_type="authorization_code",
                         code=code, redirect_uri=REDIRECT_URI, code_verifier=flow.verifier)
    set_policy(tenant, "required")
    again = oauth.token(flow.client.client_id, flow.secret, grant_type="refresh_token",
                        refresh_token=tokens.json["refresh_token"])
    assert again.status_code == 200


def test_a_user_deactivated_after_the_password_gets_no_second_step(db, oauth, tenant, web_app,
                                                                   pat, pats_app):
    app, _ = pats_app
    flow = Flow(oauth, web_app)
    with tenant_scope(db.session, tenant.id):
        db.session.get(type(pat), pat.id).is_active = False
        db.session.commit()
    assert flow.second_factor(app.code()).status_code == 409


def test_a_device_is_approved_only_after_the_second_step(
        oauth, factories, tenant, pat, pats_app):
    app, _ = pats_app
    tv = factories.client(tenant, grant_types=("urn:ietf:params:oauth:grant-type:device_code",),
                          scope="openid", public=True)[0]
    started = oauth.http.post(f"{oauth.base}/device_authorization",
                              data={"client_id": tv.client_id}).json
    to_frontend = oauth.http.get(f"{oauth.base}/device/verify",
                                 query_string={"user_code": started["user_code"]})
    challenge = query(to_frontend.headers["Location"])["challenge"]
    assert oauth.log_in(challenge, "pat@acme.io").json["status"] == "second_factor"
    assert oauth.decide(challenge).status_code == 409
    assert second_factor(oauth, challenge, app.code()).json["consent_required"]
    back = oauth.follow(oauth.decide(challenge).json["redirect_to"])
    assert query(back.headers["Location"]) == {"result": "approved"}
