"""The authentication context of ID tokens and what a client may ask of the sign-in (OIDC Core
§2, §3.1.2.1, §3.1.2.6, §5.5.1.1): ``amr``, ``acr`` and ``auth_time`` of the sign-in session,
verified against the JWKS; ``max_age``, ``prompt``, ``acr_values`` and an essential ``acr``."""
import json
from datetime import timedelta

import pytest
from authlib.oauth2 import OAuth2Error
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from api import audit
from api.audit.models import AuditEvent
from api.db import tenant_scope, utcnow
from api.extensions import db
from api.oauth import acr
from api.oauth.models import SignInSession
from api.tenancy import services as tenancy
from tests.helpers import REDIRECT_URI, pkce_pair, query
from tests.oauth.conftest import OAuthHelper

ISSUER = "http://localhost:8080/t/acme"
LOGIN_PAGE = "http://localhost:8000/t/acme/login?challenge="
CONSENT_PAGE = "http://localhost:8000/t/acme/consent?challenge="
ESSENTIAL_MFA = json.dumps({"id_token": {"acr": {"essential": True, "values": [acr.MFA]}}})
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text() | st.sampled_from(
    acr.SUPPORTED), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=12)
ACR_REQUESTS = st.fixed_dictionaries({}, optional={"essential": JSON, "value": JSON,
                                                   "values": JSON})


def second_factors_off(tenant):
    with tenant_scope(db.session, tenant.id):
        tenancy.update_tenant(tenancy.fresh(tenant), {"mfa_policy": "off"}, audit.OPERATOR)


class Browser:
    """One browser signing the owner in to ``client``, and the client redeeming its codes."""

    def __init__(self, oauth, client, secret):
        self.oauth, self.client, self.secret = oauth, client, secret
        self.verifier = None

    def authorize(self, **params):
        self.verifier, challenge = pkce_pair()
        return self.oauth.authorize(self.client, "openid", pkce=False,
                                    code_challenge=challenge, code_challenge_method="S256",
                                    **params)

    def sign_in(self, **params):
        """Authorize, sign in at the login page, remember consent; the final response."""
        challenge = self.oauth.challenge_of(self.authorize(**params))
        result = self.oauth.log_in(challenge, "owner@acme.io")
        if result.json["consent_required"]:
            result = self.oauth.decide(challenge, remember=True)
        return self.oauth.follow(result.json["redirect_to"])

    def id_token(self, response) -> dict:
        """The claims of the ID token for the code in ``response``, verified with the JWKS."""
        params = query(response.headers["Location"])
        assert "code" in params, params
        tokens = self.oauth.token(self.client.client_id, self.secret,
                                  grant_type="authorization_code", code=params["code"],
                                  redirect_uri=REDIRECT_URI, code_verifier=self.verifier)
        assert tokens.status_code == 200, tokens.json
        keys = KeySet.import_key_set(self.oauth.http.get("/t/acme/jwks.json").json)
        claims = jwt.decode(tokens.json["id_token"], keys).claims
        jwt.JWTClaimsRegistry(iss={"essential": True, "value": ISSUER},
                              aud={"essential": True, "value": self.client.client_id},
                              auth_time={"essential": True}).validate(claims)
        return claims


@pytest.fixture
def browser(oauth, web_app):
    return Browser(oauth, *web_app)


def the_session(db, tenant) -> SignInSession:
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        [signed_in] = db.session.scalars(select(SignInSession)
                                         .where(SignInSession.ended_at.is_(None))).all()
        return signed_in


def change_session(db, tenant, **values) -> None:
    with tenant_scope(db.session, tenant.id):
        signed_in = the_session(db, tenant)
        for name, value in values.items():
            setattr(signed_in, name, value)
        db.session.commit()


def describe(oauth, response) -> dict:
    challenge = oauth.challenge_of(response)
    return oauth.http.get(f"/t/acme/sign-in/challenges/{challenge}",
                          headers=oauth.frontend_key).json


def to_client(response) -> dict:
    """The authorization response at the client's redirect URI (never the frontend)."""
    assert response.status_code == 302 and response.headers["Location"].startswith(REDIRECT_URI)
    return query(response.headers["Location"])


def test_the_id_token_says_how_and_when_the_user_signed_in(browser, db, tenant):
    claims = browser.id_token(browser.sign_in())
    signed_in = the_session(db, tenant)
    assert signed_in.amr == ["pwd"]
    assert claims["amr"] == ["pwd"] and claims["acr"] == acr.PWD
    assert claims["auth_time"] == int(signed_in.auth_time.timestamp())


def test_amr_and_acr_are_the_methods_of_the_session_the_code_was_issued_in(browser, db, tenant):
    browser.sign_in()
    change_session(db, tenant, amr=["pwd", "otp"])  # as a second step would record them
    claims = browser.id_token(browser.authorize(acr_values=acr.MFA))  # met: no sign-in asked
    assert claims["amr"] == ["pwd", "otp"] and claims["acr"] == acr.MFA


@pytest.mark.parametrize("amr, expected", [
    (["pwd"], acr.PWD), (["pwd", "otp"], acr.MFA), (["hwk"], acr.MFA), (["swk"], acr.MFA),
    (["pwd", "mfa"], acr.MFA), ([], acr.PWD)])
def test_acr_is_mfa_exactly_when_a_second_factor_was_used(amr, expected):
    assert acr.acr_for(amr) == expected


def test_discovery_advertises_the_acr_values_and_prompts(client, tenant):
    metadata = client.get("/t/acme/.well-known/openid-configuration").json
    assert metadata["acr_values_supported"] == [acr.PWD, acr.MFA]
    assert {"acr", "amr", "auth_time"} <= set(metadata["claims_supported"])
    assert set(metadata["prompt_values_supported"]) == {"none", "login", "consent",
                                                        "select_account"}


def test_a_sign_in_older_than_max_age_signs_in_again(browser, db, tenant):
    browser.sign_in()
    an_hour_ago = utcnow() - timedelta(hours=1)
    change_session(db, tenant, auth_time=an_hour_ago)
    fresh_enough = browser.id_token(browser.authorize(max_age="7200"))
    assert fresh_enough["auth_time"] == int(an_hour_ago.timestamp())
    too_old = browser.authorize(max_age="600")
    assert too_old.headers["Location"].startswith(LOGIN_PAGE)
    claims = browser.id_token(browser.sign_in(max_age="600"))
    assert claims["auth_time"] > int(an_hour_ago.timestamp()) + 3000
    assert claims["sid"] == str(the_session(db, tenant).id)  # the same session, signed in anew


@pytest.mark.parametrize("params", [{"max_age": "0"}, {"prompt": "login"},
                                    {"prompt": "select_account"}])
def test_a_live_session_signs_in_again_when_asked(browser, params):
    browser.sign_in()
    assert "code" in to_client(browser.authorize())  # the session alone would do
    assert browser.authorize(**params).headers["Location"].startswith(LOGIN_PAGE)
    assert browser.id_token(browser.sign_in(**params))["amr"] == ["pwd"]


@pytest.mark.parametrize("max_age", ["-1", "ten", "1.5", "99999999999", "٣"])
def test_a_malformed_max_age_is_invalid_request_at_the_client(browser, max_age):
    params = to_client(browser.authorize(max_age=max_age))
    assert params["error"] == "invalid_request" and params["state"] == "xyz"


def test_prompt_consent_asks_again_for_remembered_consent(browser, oauth):
    browser.sign_in()
    assert browser.authorize(prompt="consent").headers["Location"].startswith(CONSENT_PAGE)
    challenge = oauth.challenge_of(browser.authorize(prompt="login consent"))
    assert oauth.log_in(challenge, "owner@acme.io").json["consent_required"] is True


def test_prompt_none_answers_login_required_when_the_sign_in_is_too_old(browser, db, tenant):
    browser.sign_in()
    change_session(db, tenant, auth_time=utcnow() - timedelta(hours=1))
    params = to_client(browser.authorize(prompt="none", max_age="600"))
    assert params["error"] == "login_required" and params["state"] == "xyz"
    assert params["iss"] == ISSUER and "code" not in params
    assert "code" in to_client(browser.authorize(prompt="none", max_age="7200"))


def test_prompt_none_answers_interaction_required_for_a_stronger_acr(browser):
    browser.sign_in()
    params = to_client(browser.authorize(prompt="none", acr_values=acr.MFA))
    assert params["error"] == "interaction_required" and params["state"] == "xyz"
    assert params["iss"] == ISSUER and "code" not in params


def test_prompt_none_answers_consent_required_when_consent_is_missing(browser, oauth):
    browser.sign_in()
    params = to_client(oauth.authorize(browser.client, "openid email", prompt="none"))
    assert params["error"] == "consent_required" and "code" not in params


def test_another_tenants_session_is_no_sign_in_here(browser, oauth, factories):
    """The session's methods and age count only under its own issuer."""
    browser.sign_in()
    essential_pwd = {"id_token": {"acr": {"essential": True, "values": [acr.PWD]}}}
    other, _ = factories.tenant("globex", owner_email="owner@acme.io")
    there, _ = factories.client(other, grant_types=("authorization_code",), scope="openid",
                                redirect_uris=(REDIRECT_URI,))
    elsewhere = OAuthHelper(oauth.http, oauth.app, other)
    for params in ({}, {"max_age": "7200"}, {"claims": json.dumps(essential_pwd)}):
        answer = to_client(elsewhere.authorize(there, prompt="none", **params))
        assert answer["error"] == "login_required"
        assert answer["iss"] == "http://localhost:8080/t/globex"


def test_prompt_none_with_another_prompt_is_invalid_request(browser):
    browser.sign_in()
    assert to_client(browser.authorize(prompt="none login"))["error"] == "invalid_request"


def test_acr_values_ask_for_a_sign_in_that_reaches_them(browser, oauth, tenant):
    """Tessera records the wish on the challenge; a sign-in that falls short (second factors
    are off here, so nobody can enrol one) still answers, saying honestly which acr it
    reached (acr_values are voluntary, OIDC Core §3.1.2.1)."""
    second_factors_off(tenant)
    browser.sign_in()
    asked = browser.authorize(acr_values=f"urn:example:unknown {acr.MFA} {acr.PWD}")
    described = describe(oauth, asked)
    assert described["required_acr"] == acr.MFA and described["acr_essential"] is False
    claims = browser.id_token(browser.sign_in(acr_values=acr.MFA))
    assert claims["acr"] == acr.PWD and claims["amr"] == ["pwd"]


def test_a_wish_the_session_meets_asks_nothing(browser):
    browser.sign_in()
    assert browser.id_token(browser.authorize(acr_values=acr.PWD))["acr"] == acr.PWD


def test_an_essential_acr_the_sign_in_cannot_meet_fails(browser, oauth, db, tenant):
    """OIDC Core §5.5.1.1: a failed authentication, ``unmet_authentication_requirements``
    (second factors are off here, so nobody can enrol one)."""
    second_factors_off(tenant)
    asked = browser.authorize(claims=ESSENTIAL_MFA)
    described = describe(oauth, asked)
    assert described["required_acr"] == acr.MFA and described["acr_essential"] is True
    params = to_client(browser.sign_in(claims=ESSENTIAL_MFA))
    assert params["error"] == "unmet_authentication_requirements" and "code" not in params
    assert params["state"] == "xyz" and params["iss"] == ISSUER
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(SignInSession)).all() == []  # nobody signed in
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "sign_in.refused")).one()
    assert refused.outcome == "failure" and refused.details["required_acr"] == acr.MFA
    assert refused.details["reason"] == "unmet_authentication_requirements"


def test_an_essential_acr_the_session_meets_is_answered(browser, db, tenant):
    browser.sign_in()
    change_session(db, tenant, amr=["hwk"])
    claims = browser.id_token(browser.authorize(claims=ESSENTIAL_MFA))
    assert claims["acr"] == acr.MFA and claims["amr"] == ["hwk"]


def test_an_essential_acr_of_several_values_takes_the_weakest_known(browser):
    either = json.dumps({"id_token": {"acr": {"essential": True,
                                              "values": [acr.MFA, acr.PWD]}}})
    assert browser.id_token(browser.sign_in(claims=either))["acr"] == acr.PWD


@pytest.mark.parametrize("claims, error", [
    (json.dumps({"id_token": {"acr": {"essential": True, "value": "urn:example:gold"}}}),
     "unmet_authentication_requirements"),
    ("{not json", "invalid_request"),
    (json.dumps({"id_token": {"acr": {"essential": True, "values": "urn:tessera:acr:mfa"}}}),
     "invalid_request"),
    (json.dumps(["id_token"]), "invalid_request"), ("[" * 3000, "invalid_request")])
def test_claims_are_refused_at_once_when_malformed_or_unmeetable(browser, claims, error):
    assert to_client(browser.authorize(claims=claims))["error"] == error


def test_a_claims_request_without_an_essential_acr_changes_nothing(browser):
    voluntary = json.dumps({"id_token": {"acr": {"values": [acr.MFA]}, "email": None}})
    challenge = browser.authorize(claims=voluntary)
    assert challenge.headers["Location"].startswith(LOGIN_PAGE)
    assert browser.id_token(browser.sign_in(claims=voluntary))["acr"] == acr.PWD


@given(document=JSON | st.fixed_dictionaries({"id_token": st.fixed_dictionaries(
    {"acr": ACR_REQUESTS | JSON})}))
def test_any_claims_document_is_a_requirement_or_an_oauth_error(document):
    """Never another exception (which would be a 500 at the authorization endpoint)."""
    try:
        requirement = acr.requested({"claims": json.dumps(document)})
    except OAuth2Error as error:
        assert error.error in ("invalid_request", "unmet_authentication_requirements")
    else:
        assert requirement.value in (None, *acr.SUPPORTED)
