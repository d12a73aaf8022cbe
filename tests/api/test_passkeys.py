"""Passkeys through the REST API (``/me/passkeys``), with a software authenticator: register,
list, rename, remove; every ceremony's challenge works once, for its own user only."""
import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.outbox import services as outbox
from tests.authenticator import Authenticator, b64url
from tests.helpers import Callers
from tests.mailcatcher import text_of

ORIGIN = "http://localhost:8000"


def register(api, authenticator: Authenticator, name="Laptop", **create):
    options = api.post("/me/passkeys/options")
    assert options.status_code == 200, options.json
    return api.post("/me/passkeys", json={
        "name": name, "credential": authenticator.create(options.json, **create)})


def actions(db, tenant, prefix="passkey."):
    with tenant_scope(db.session, tenant.id):
        return [(event.action, event.outcome, event.details) for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix))
            .order_by(AuditEvent.created_at))]


def test_options_name_the_frontend_as_relying_party_and_prefer_verification(owner):
    options = owner.post("/me/passkeys/options").json
    assert options["rp"] == {"id": "localhost", "name": "Acme"}
    assert options["user"]["name"] == "owner@acme.io"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["attestation"] == "none"
    assert len(options["challenge"]) == 43 and options["excludeCredentials"] == []


@pytest.mark.parametrize("attestation", ["packed", "none"])
def test_a_user_registers_passkeys_and_lists_them(db, tenant, owner, attestation):
    laptop = Authenticator(ORIGIN, attestation=attestation)
    created = register(owner, laptop)
    assert created.status_code == 201, created.json
    assert created.json["name"] == "Laptop" and created.json["method"] == "hwk"
    assert created.json["transports"] == ["internal"] and created.json["last_used_at"] is None
    synced = register(owner, Authenticator(ORIGIN, backup_eligible=True), name="Phone")
    assert synced.status_code == 201 and synced.json["method"] == "swk"
    listed = owner.get("/me/passkeys").json
    assert listed["total"] == 2 and [item["name"] for item in listed["items"]] == \
        ["Phone", "Laptop"]
    excluded = owner.post("/me/passkeys/options").json["excludeCredentials"]
    assert b64url(laptop.credentials[0].credential_id) in {item["id"] for item in excluded}
    assert len(excluded) == 2
    assert [action for action, _, _ in actions(db, tenant)] == ["passkey.registered"] * 2


def test_a_registration_challenge_works_once(owner):
    options = owner.post("/me/passkeys/options").json
    answer = Authenticator(ORIGIN).create(options)
    assert owner.post("/me/passkeys", json={"name": "A", "credential": answer}).status_code == 201
    again = owner.post("/me/passkeys", json={"name": "B", "credential": answer})
    assert again.status_code == 422 and "credential" in again.json["errors"]


def test_another_users_ceremony_cannot_be_finished(callers, owner):
    member = callers.as_new_user("user")
    answer = Authenticator(ORIGIN).create(owner.post("/me/passkeys/options").json)
    refused = member.post("/me/passkeys", json={"name": "Stolen", "credential": answer})
    assert refused.status_code == 422
    assert member.get("/me/passkeys").json["total"] == 0
    assert owner.post("/me/passkeys", json={"name": "Mine", "credential": answer}) \
        .status_code == 201  # another user's attempt does not touch the owner's ceremony


@pytest.mark.parametrize("origin", ["http://localhost:8080", "https://evil.example",
                                    "http://localhost:8000.evil.example"])
def test_another_origin_is_refused_and_audited(db, tenant, owner, origin):
    refused = register(owner, Authenticator(ORIGIN), origin=origin)
    assert refused.status_code == 422
    assert owner.get("/me/passkeys").json["total"] == 0
    assert actions(db, tenant)[-1][:2] == ("passkey.registration_rejected", "denied")


@pytest.mark.parametrize("credential", [
    {}, {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
    {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "%%"}},
    {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "bm90IGpzb24"}},
    {"id": "x", "rawId": "x", "type": "password", "response": {"clientDataJSON": "e30"}},
    {"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "e30"}},
])
def test_malformed_credentials_are_4xx(owner, credential):
    response = owner.post("/me/passkeys", json={"name": "X", "credential": credential})
    assert response.status_code in (400, 422), response.json


def test_rename_and_remove_are_audited_and_only_for_ones_own(db, tenant, callers, owner):
    passkey = register(owner, Authenticator(ORIGIN)).json
    member = callers.as_new_user("user")
    assert member.patch(f"/me/passkeys/{passkey['id']}", json={"name": "Mine"}) \
        .status_code == 404
    assert member.delete(f"/me/passkeys/{passkey['id']}").status_code == 404
    renamed = owner.patch(f"/me/passkeys/{passkey['id']}", json={"name": "Work laptop"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Work laptop"
    assert owner.patch(f"/me/passkeys/{passkey['id']}", json={"name": ""}).status_code == 422
    assert owner.delete(f"/me/passkeys/{passkey['id']}").status_code == 204
    assert owner.get("/me/passkeys").json["total"] == 0
    assert [action for action, _, _ in actions(db, tenant)] == [
        "passkey.registered", "passkey.renamed", "passkey.removed"]


def test_a_clients_own_token_has_no_passkeys(callers):
    service = callers.as_service()
    assert service.get("/me/passkeys").status_code == 403
    assert service.post("/me/passkeys/options").status_code == 403


def test_without_profile_write_nobody_registers(callers):
    reader = callers.as_user("owner@acme.io", scope="profile:read")
    assert reader.get("/me/passkeys").status_code == 200
    assert reader.post("/me/passkeys/options").status_code == 403


def test_another_tenants_passkeys_are_unknown(factories, callers, owner, client):
    passkey = register(owner, Authenticator(ORIGIN)).json
    globex, _ = factories.tenant("globex", owner_email="owner@globex.io")
    other = Callers(client, factories, globex).as_user("owner@globex.io")
    assert other.get("/me/passkeys").json["total"] == 0
    assert other.delete(f"/me/passkeys/{passkey['id']}").status_code == 404


def test_the_last_factor_the_policy_requires_stays_and_recovery_codes_go_with_the_last(
        owner):
    first = register(owner, Authenticator(ORIGIN)).json
    second = register(owner, Authenticator(ORIGIN), name="Phone").json
    assert len(first["recovery_codes"]) == 10 and second["recovery_codes"] == []
    assert owner.patch("/tenant", json={"mfa_policy": "required_for_admins"}).status_code == 200
    assert owner.delete(f"/me/passkeys/{first['id']}").status_code == 204
    refused = owner.delete(f"/me/passkeys/{second['id']}")
    assert refused.status_code == 409 and "requires a second factor" in refused.json["detail"]
    assert owner.patch("/tenant", json={"mfa_policy": "optional"}).status_code == 200
    assert owner.delete(f"/me/passkeys/{second['id']}").status_code == 204
    assert owner.get("/me/factors").json["recovery_codes_remaining"] == 0


def test_an_admins_reset_of_second_factors_removes_passkeys(callers, owner):
    member = callers.as_new_user("user")
    register(member, Authenticator(ORIGIN))
    member_id = member.get("/me").json["user"]["id"]
    assert owner.post(f"/users/{member_id}/factors/reset").status_code in (200, 204)
    assert member.get("/me/passkeys").json["total"] == 0
    assert member.get("/me/factors").json["recovery_codes_remaining"] == 0


def test_a_new_passkey_is_mailed_to_its_user(owner, mailbox):
    assert register(owner, Authenticator(ORIGIN), name="Work <laptop>").status_code == 201
    outbox.deliver_due(include_waiting=True)
    message = mailbox.wait_for("owner@acme.io")
    assert message["Subject"] == "A passkey was added to your Acme account"
    assert 'called "Work <laptop>"' in text_of(message)


def test_with_the_mfa_policy_off_nobody_adds_a_passkey(owner):
    passkey = register(owner, Authenticator(ORIGIN)).json
    assert owner.patch("/tenant", json={"mfa_policy": "off"}).status_code == 200
    refused = owner.post("/me/passkeys/options")
    assert refused.status_code == 409 and "switched off" in refused.json["detail"]
    assert owner.delete(f"/me/passkeys/{passkey['id']}").status_code == 204  # removing is fine
