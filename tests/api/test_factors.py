"""``/me/factors``, ``/me/recovery-codes``, ``/users/{id}/factors/reset`` and the tenant's
``mfa_policy``: enrolment, removal, new recovery codes, an admin's reset."""
import uuid

import pytest
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.mfa.models import RecoveryCode, TotpFactor
from api.outbox import services as outbox
from api.users.models import User
from tests.factories import Authenticator


def enrol(api) -> tuple[Authenticator, list[str]]:
    started = api.post("/me/factors/totp")
    assert started.status_code == 200, started.json
    app = Authenticator(started.json["secret"])
    confirmed = api.post("/me/factors/totp/confirm", json={"code": app.code()})
    assert confirmed.status_code == 200, confirmed.json
    return app, confirmed.json["recovery_codes"]


def user_id(db, tenant, email):
    with tenant_scope(db.session, tenant.id):
        return db.session.scalar(select(User.id).where(User.email == email))


def test_enrolment_shows_a_qr_code_and_turns_on_with_a_first_code(db, tenant, member):
    assert member.get("/me/factors").json["factors"] == []
    started = member.post("/me/factors/totp")
    assert started.json["otpauth_uri"].startswith("otpauth://totp/Acme:")
    assert f"secret={started.json['secret']}" in started.json["otpauth_uri"]
    assert started.json["qr_svg"].startswith("<svg") and "<script" not in started.json["qr_svg"]
    assert member.post("/me/factors/totp").json["secret"] == started.json["secret"]  # same
    assert member.get("/me/factors").json["factors"] == []  # not before it is confirmed
    wrong = member.post("/me/factors/totp/confirm", json={"code": "000000"})
    assert wrong.status_code == 401 and wrong.json["errors"] == {"code": ["is not valid"]}
    app = Authenticator(started.json["secret"])
    confirmed = member.post("/me/factors/totp/confirm", json={"code": app.code()})
    codes = confirmed.json["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    listed = member.get("/me/factors").json
    assert [f["type"] for f in listed["factors"]] == ["totp"]
    assert listed["recovery_codes_remaining"] == 10
    assert member.post("/me/factors/totp").status_code == 409  # one app at a time
    with tenant_scope(db.session, tenant.id):  # sealed at rest, codes as digests
        factor = db.session.scalar(select(TotpFactor))
        assert started.json["secret"] not in factor.sealed_secret
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert not set(codes) & set(stored)


def test_new_recovery_codes_replace_the_old(member):
    _, old = enrol(member)
    new = member.post("/me/recovery-codes")
    assert new.status_code == 201 and not set(new.json["recovery_codes"]) & set(old)
    assert member.get("/me/factors").json["recovery_codes_remaining"] == 10


def test_recovery_codes_need_a_factor(member):
    assert member.post("/me/recovery-codes").status_code == 409


def test_removing_the_app_removes_the_recovery_codes(member):
    enrol(member)
    assert member.delete("/me/factors/totp").status_code == 204
    assert member.get("/me/factors").json == {
        "factors": [], "recovery_codes_remaining": 0, "policy": "optional", "required": False,
        "can_enrol": True}


def test_the_last_factor_the_policy_requires_cannot_be_removed(owner, admin):
    enrol(admin)
    assert owner.patch("/tenant", json={"mfa_policy": "required_for_admins"}).status_code == 200
    assert admin.get("/me/factors").json["required"] is True
    refused = admin.delete("/me/factors/totp")
    assert refused.status_code == 409 and "requires a second factor" in refused.json["detail"]


def test_with_the_policy_off_nobody_enrols(owner, member):
    assert owner.patch("/tenant", json={"mfa_policy": "off"}).json["mfa_policy"] == "off"
    assert member.get("/me/factors").json["can_enrol"] is False
    assert member.post("/me/factors/totp").status_code == 409


@pytest.mark.parametrize("value, status", [("required", 200), ("required_for_admins", 200),
                                           ("everyone", 422), ("", 422)])
def test_the_policy_takes_the_contracts_values(owner, value, status):
    assert owner.patch("/tenant", json={"mfa_policy": value}).status_code == status
    assert owner.get("/tenant").json["mfa_policy"] == (value if status == 200 else "optional")


def test_only_owners_change_the_policy(admin):
    assert admin.patch("/tenant", json={"mfa_policy": "off"}).status_code == 403


def test_an_admin_resets_a_users_factors_audited_and_mailed(db, tenant, admin, callers,
                                                            mailbox):
    pat = callers.as_new_user("user")
    enrol(pat)
    pat_id = pat.get("/me").json["user"]["id"]
    reset = admin.post(f"/users/{pat_id}/factors/reset")
    assert reset.status_code == 200, reset.json
    assert pat.get("/me/factors").json["factors"] == []
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "mfa.factors_reset")).target_id == pat_id
        email = db.session.get(User, uuid.UUID(pat_id)).email
    outbox.deliver_due(include_waiting=True)
    assert mailbox.wait_for(email)["Subject"] == "Your Acme second factors were removed"


def test_a_user_cannot_reset_anyones_factors(db, tenant, member, admin):
    admin_id = admin.get("/me").json["user"]["id"]
    assert member.post(f"/users/{admin_id}/factors/reset").status_code == 403


def test_an_admin_cannot_reset_an_owners_factors(db, tenant, owner, admin):
    enrol(owner)
    owner_id = user_id(db, tenant, "owner@acme.io")
    assert admin.post(f"/users/{owner_id}/factors/reset").status_code == 403
    assert owner.get("/me/factors").json["factors"]


def test_an_owner_cannot_remove_another_owners_last_factor(db, tenant, owner, callers):
    other = callers.as_new_user("owner")
    enrol(other)
    other_id = other.get("/me").json["user"]["id"]
    refused = owner.post(f"/users/{other_id}/factors/reset")
    assert refused.status_code == 409
    assert other.get("/me/factors").json["factors"]
    assert other.post(f"/users/{other_id}/factors/reset").status_code == 200  # their own


def test_another_tenants_user_is_unknown(db, factories, owner):
    _, globex_owner = factories.tenant("globex")
    globex_owner_id = globex_owner.id
    db.session.expunge_all()  # as a request's own session would: nothing of globex loaded
    assert owner.post(f"/users/{globex_owner_id}/factors/reset").status_code == 404


def test_a_client_has_no_factors(callers):
    service = callers.as_service()
    assert service.get("/me/factors").status_code == 403
