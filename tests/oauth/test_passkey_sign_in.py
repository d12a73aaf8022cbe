"""Signing in with a passkey alone (discoverable credentials) on the sign-in challenge API,
with a software authenticator: where the tenant allows it, once per challenge, with a
counter that must grow, never with another tenant's or another sign-in's passkey; the
sign-in session records the methods (RFC 8176) really used."""
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, update

from api.audit.models import AuditEvent
from api.db import tenant_scope, utcnow
from api.oauth.models import AuthorizationCode, SignInSession
from api.passkeys.models import Passkey, PasskeyChallenge
from tests.authenticator import Authenticator, b64url
from tests.helpers import REDIRECT_URI, Callers, pkce_pair, query
from tests.oauth.conftest import OAuthHelper

ORIGIN = "http://localhost:8000"


@pytest.fixture
def console(factories, tenant):
    """A first-party client (no consent page) with the authorization code grant."""
    return factories.client(tenant, grant_types=("authorization_code",), scope="openid",
                            redirect_uris=("https://app.example/callback",), public=True,
                            first_party=True)


@pytest.fixture
def owner(client, factories, tenant):
    api = Callers(client, factories, tenant).as_user("owner@acme.io")
    assert api.patch("/tenant", json={"passkey_sign_in": True}).json["passkey_sign_in"]
    return api


@pytest.fixture
def laptop(owner):
    """The owner's authenticator, holding one registered passkey."""
    authenticator = Authenticator(ORIGIN)
    options = owner.post("/me/passkeys/options").json
    created = owner.post("/me/passkeys", json={"name": "Laptop",
                                               "credential": authenticator.create(options)})
    assert created.status_code == 201, created.json
    return authenticator


def options_for(oauth, challenge):
    return oauth.http.post(f"{oauth.base}/sign-in/challenges/{challenge}/passkey/options",
                           headers=oauth.frontend_key)


def answer(oauth, challenge, credential):
    return oauth.http.post(f"{oauth.base}/sign-in/challenges/{challenge}/passkey",
                           json={"credential": credential}, headers=oauth.frontend_key)


def start(oauth, console):
    return oauth.challenge_of(oauth.authorize(console[0]))


def sign_in(oauth, console, authenticator, **get):
    challenge = start(oauth, console)
    options = options_for(oauth, challenge)
    assert options.status_code == 200, options.json
    return challenge, answer(oauth, challenge, authenticator.get(options.json, **get))


def audited(db, tenant, action):
    with tenant_scope(db.session, tenant.id):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_a_passkey_alone_signs_in_and_the_session_records_hwk_and_mfa(db, oauth, tenant,
                                                                      console, laptop):
    challenge = start(oauth, console)
    options = options_for(oauth, challenge).json
    assert options["rpId"] == "localhost" and options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    signed_in = answer(oauth, challenge, laptop.get(options))
    assert signed_in.status_code == 200, signed_in.json
    assert signed_in.json["user"]["email"] == "owner@acme.io"
    final = oauth.follow(signed_in.json["redirect_to"])
    assert final.status_code == 302 and query(final.headers["Location"])["code"]
    with tenant_scope(db.session, tenant.id):
        session_row = db.session.scalars(select(SignInSession)).one()
        assert session_row.amr == ["hwk", "mfa"]
        assert db.session.scalars(select(AuthorizationCode)).one().amr == ["hwk", "mfa"]
        passkey = db.session.scalars(select(Passkey)).one()
        assert passkey.sign_count == 1 and passkey.last_used_at is not None
    events = audited(db, tenant, "sign_in.succeeded")
    assert events[-1].details == {"method": "passkey"}


def test_a_synced_passkey_counts_as_a_software_key(db, oauth, tenant, console, owner):
    phone = Authenticator(ORIGIN, backup_eligible=True)
    owner.post("/me/passkeys", json={"name": "Phone", "credential": phone.create(
        owner.post("/me/passkeys/options").json)})
    _, signed_in = sign_in(oauth, console, phone)
    oauth.follow(signed_in.json["redirect_to"])
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(SignInSession)).one().amr == ["swk", "mfa"]


def test_off_by_default_and_404_while_off(oauth, console, owner, laptop):
    assert owner.patch("/tenant", json={"passkey_sign_in": False}).status_code == 200
    challenge = start(oauth, console)
    assert options_for(oauth, challenge).status_code == 404
    assert oauth.http.get(f"{oauth.base}/sign-in/challenges/{challenge}",
                          headers=oauth.frontend_key).json["passkey_sign_in"] is False


def test_without_user_verification_a_passkey_alone_is_refused(db, oauth, tenant, console,
                                                              laptop):
    laptop.user_verified = False
    _, refused = sign_in(oauth, console, laptop)
    assert refused.status_code == 422
    assert audited(db, tenant, "passkey.rejected")


def test_each_challenge_works_once(oauth, console, laptop):
    challenge = start(oauth, console)
    assertion = laptop.get(options_for(oauth, challenge).json)
    assert answer(oauth, challenge, assertion).status_code == 200
    replayed = answer(oauth, challenge, assertion)
    assert replayed.status_code == 409  # the sign-in request is settled
    other = start(oauth, console)
    assert answer(oauth, other, assertion).status_code == 422  # bound to the first


def test_a_refused_answer_uses_its_challenge_up(oauth, console, laptop):
    challenge = start(oauth, console)
    options = options_for(oauth, challenge).json
    assert answer(oauth, challenge, laptop.get(options, origin="https://evil.example")) \
        .status_code == 422
    assert answer(oauth, challenge, laptop.get(options)).status_code == 422
    assert answer(oauth, challenge, laptop.get(options_for(oauth, challenge).json)) \
        .status_code == 200


def test_an_expired_challenge_is_refused(db, oauth, tenant, console, laptop):
    challenge = start(oauth, console)
    options = options_for(oauth, challenge).json
    with tenant_scope(db.session, tenant.id):
        db.session.execute(update(PasskeyChallenge).values(
            expires_at=utcnow() - timedelta(seconds=1)))
    assert answer(oauth, challenge, laptop.get(options)).status_code == 422


def test_a_counter_that_does_not_grow_is_refused_and_audited(db, oauth, tenant, console,
                                                             laptop):
    assert sign_in(oauth, console, laptop)[1].status_code == 200
    laptop.credentials[0].sign_count = 0  # a clone, one step behind
    _, refused = sign_in(oauth, console, laptop)
    assert refused.status_code == 422
    [event] = audited(db, tenant, "passkey.counter_regressed")
    assert event.details["stored"] == 1 and event.details["presented"] == 1
    assert event.target_label == "owner@acme.io"
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(Passkey)).one().sign_count == 1


def test_another_tenants_passkey_is_never_accepted(db, client, factories, oauth, console,
                                                   laptop):
    globex, _ = factories.tenant("globex", owner_email="owner@globex.io")
    globex_owner = Callers(client, factories, globex).as_user("owner@globex.io")
    globex_owner.patch("/tenant", json={"passkey_sign_in": True})
    globex_console = factories.client(globex, grant_types=("authorization_code",),
                                      scope="openid", public=True, first_party=True,
                                      redirect_uris=("https://app.example/callback",))
    elsewhere = OAuthHelper(client, oauth.app, globex)
    challenge = elsewhere.challenge_of(elsewhere.authorize(globex_console[0]))
    options = options_for(elsewhere, challenge).json
    refused = answer(elsewhere, challenge, laptop.get(options))  # acme's passkey
    assert refused.status_code == 422
    assert audited(db, globex, "passkey.rejected")[-1].details["reason"] == "unknown credential"


def test_a_user_handle_naming_someone_else_is_refused(oauth, callers_member, console, laptop):
    challenge = start(oauth, console)
    assertion = laptop.get(options_for(oauth, challenge).json)
    laptop_handle = assertion["response"]["userHandle"]
    assertion["response"]["userHandle"] = callers_member
    assert answer(oauth, challenge, assertion).status_code == 422
    assert laptop_handle != callers_member


@pytest.fixture
def callers_member(factories, tenant):
    """Another user's WebAuthn user handle (their id, base64url)."""
    return b64url(factories.user(tenant).id.bytes)


def test_a_deactivated_user_cannot_sign_in_with_a_passkey(oauth, owner, console, client,
                                                          factories, tenant):
    member = factories.user(tenant)
    api = Callers(client, factories, tenant).as_user(member.email)
    authenticator = Authenticator(ORIGIN)
    api.post("/me/passkeys", json={"name": "Key", "credential": authenticator.create(
        api.post("/me/passkeys/options").json)})
    assert owner.patch(f"/users/{member.id}", json={"is_active": False}).status_code == 200
    assert sign_in(oauth, console, authenticator)[1].status_code == 422


@pytest.mark.parametrize("body", [{}, {"credential": "x"}, {"credential": {"id": "a"}},
                                  {"credential": {"id": "a", "rawId": "a", "type": "public-key",
                                                  "response": {"clientDataJSON": "e30"}}}])
def test_malformed_answers_are_4xx(oauth, console, owner, body):
    challenge = start(oauth, console)
    response = oauth.http.post(f"{oauth.base}/sign-in/challenges/{challenge}/passkey",
                               json=body, headers=oauth.frontend_key)
    assert response.status_code in (400, 422), response.json


# A passkey as the second step after the password (api.mfa.factors) -------------------

def second_step(oauth, challenge, credential):
    return oauth.http.post(f"{oauth.base}/sign-in/challenges/{challenge}/second-factor",
                           json={"factor": "passkey", "credential": credential},
                           headers=oauth.frontend_key)


def test_a_passkey_is_a_second_factor_and_enrols_with_recovery_codes(db, oauth, tenant,
                                                                     console, client,
                                                                     factories):
    member = factories.user(tenant)
    api = Callers(client, factories, tenant).as_user(member.email)
    authenticator = Authenticator(ORIGIN, user_verified=False)
    created = api.post("/me/passkeys", json={"name": "Key", "credential": authenticator.create(
        api.post("/me/passkeys/options").json)})
    assert created.status_code == 201 and len(created.json["recovery_codes"]) == 10
    second = api.post("/me/passkeys", json={"name": "Key 2", "credential": Authenticator(
        ORIGIN).create(api.post("/me/passkeys/options").json)})
    assert second.json["recovery_codes"] == []  # the first ones still stand
    challenge = start(oauth, console)
    login = oauth.log_in(challenge, member.email)
    assert login.json["status"] == "second_factor"
    assert sorted(login.json["factors"]) == ["passkey", "recovery_code"]
    options = login.json["factor_options"]["passkey"]
    assert len(options["allowCredentials"]) == 2 and options["userVerification"] == "preferred"
    done = second_step(oauth, challenge, authenticator.get(options))
    assert done.status_code == 200, done.json
    oauth.follow(done.json["redirect_to"])
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalars(select(SignInSession)).one().amr == ["pwd", "hwk", "mfa"]


def test_another_users_passkey_never_answers_the_second_step(db, oauth, tenant, console,
                                                             client, factories, laptop):
    member = factories.user(tenant)
    api = Callers(client, factories, tenant).as_user(member.email)
    api.post("/me/passkeys", json={"name": "Key", "credential": Authenticator(ORIGIN).create(
        api.post("/me/passkeys/options").json)})
    challenge = start(oauth, console)
    options = oauth.log_in(challenge, member.email).json["factor_options"]["passkey"]
    stolen = laptop.get({**options, "allowCredentials": []})  # the owner's passkey
    assert second_step(oauth, challenge, stolen).status_code == 401
    assert audited(db, tenant, "passkey.rejected")[-1].details["reason"] == "unknown credential"


def test_the_id_token_of_a_passkey_alone_says_mfa_even_when_the_client_asks_for_it(
        oauth, web_app, laptop):
    """OIDC Core: ``amr`` the methods used, ``acr`` their level, ``auth_time``; a client asking
    ``acr_values=urn:tessera:acr:mfa`` gets the user signed in with the passkey alone."""
    client, secret = web_app
    verifier, pkce = pkce_pair()
    challenge = oauth.challenge_of(oauth.authorize(
        client, "openid", pkce=False, code_challenge=pkce, code_challenge_method="S256",
        acr_values="urn:tessera:acr:mfa"))
    signed_in = answer(oauth, challenge, laptop.get(options_for(oauth, challenge).json))
    assert signed_in.status_code == 200 and signed_in.json["consent_required"]
    final = oauth.follow(oauth.decide(challenge).json["redirect_to"])
    tokens = oauth.token(client.client_id, secret, grant_type="authorization_code",
                         code=query(final.headers["Location"])["code"],
                         redirect_uri=REDIRECT_URI, code_verifier=verifier)
    claims = jwt.decode(tokens.json["id_token"], options={"verify_signature": False})
    assert claims["amr"] == ["hwk", "mfa"] and claims["acr"] == "urn:tessera:acr:mfa"
    assert claims["auth_time"] and claims["sub"] == signed_in.json["user"]["id"]
