"""Users: ceilings, owners, the last owner, and the tokens that go with a lost role."""
from sqlalchemy import select

from api.db import tenant_scope
from api.users.models import User
from tests.factories import PASSWORD


def owner_id(db, tenant):
    with tenant_scope(db.session, tenant.id):
        return db.session.scalar(select(User.id).where(User.email == "owner@acme.io"))


def test_create_list_filter_and_paginate(owner):
    for n in range(3):
        assert owner.post("/users", json={"email": f"Dev{n}@Acme.io", "password": PASSWORD,
                                          "role": "user"}).status_code == 201
    page = owner.get("/users", query_string={"per_page": 2, "page": 1}).json
    assert page["total"] == 4 and len(page["items"]) == 2 and page["per_page"] == 2
    found = owner.get("/users", query_string={"email": "dev1"}).json
    assert [u["email"] for u in found["items"]] == ["dev1@acme.io"]
    owners = owner.get("/users", query_string={"role": "owner"}).json
    assert [u["email"] for u in owners["items"]] == ["owner@acme.io"]
    assert owner.get("/users", query_string={"active": "false"}).json["total"] == 0


def test_responses_never_carry_password_hashes(owner):
    created = owner.post("/users", json={"email": "x@acme.io", "password": PASSWORD}).json
    assert "password" not in created and "password_hash" not in created
    assert "argon2" not in str(owner.get("/users").json)


def test_admin_cannot_make_owners_or_touch_owners(db, admin, tenant):
    made = admin.post("/users", json={"email": "boss2@acme.io", "password": PASSWORD,
                                      "role": "owner"})
    assert made.status_code == 403
    the_owner = owner_id(db, tenant)
    assert admin.patch(f"/users/{the_owner}", json={"role": "user"}).status_code == 403
    assert admin.patch(f"/users/{the_owner}", json={"is_active": False}).status_code == 403
    assert admin.delete(f"/users/{the_owner}").status_code == 403


def test_nobody_grants_a_role_above_their_own(owner, admin):
    role = owner.post("/roles", json={"name": "settings", "permissions": ["tenant:write"]})
    assert role.status_code == 201
    assert admin.post("/users", json={"email": "s@acme.io", "password": PASSWORD,
                                      "role": "settings"}).status_code == 403
    assert admin.post("/roles", json={"name": "sneaky", "permissions": [
        "tenant:write"]}).status_code == 403
    assert admin.post("/clients", json={"client_name": "Sneaky", "grant_types": [
        "client_credentials"], "scope": "tenant:delete"}).status_code == 403


def test_the_last_owner_can_be_neither_demoted_nor_removed(db, owner, tenant):
    me = owner_id(db, tenant)
    for method, body in (("PATCH", {"role": "admin"}), ("PATCH", {"is_active": False}),
                         ("DELETE", None)):
        response = owner.call(method, f"/users/{me}", json=body)
        assert response.status_code == 409, method
        assert response.mimetype == "application/problem+json"


def test_owners_can_demote_owners_when_another_remains(db, owner, callers, factories, tenant):
    second = factories.user(tenant, email="second@acme.io", role="owner")
    assert owner.patch(f"/users/{second.id}", json={"role": "admin"}).json["role"] == "admin"


def test_demotion_revokes_tokens_above_the_new_role(callers, owner, factories, tenant):
    ann = factories.user(tenant, email="ann@acme.io", role="admin")
    admin_token = callers.as_user("ann@acme.io", scope="users:read projects:read")
    narrow_token = callers.as_user("ann@acme.io", scope="projects:read")
    assert admin_token.get("/users").status_code == 200
    assert owner.patch(f"/users/{ann.id}", json={"role": "user"}).status_code == 200
    assert admin_token.get("/me").status_code == 401  # held users:read, revoked
    assert narrow_token.get("/me").status_code == 200  # within the new role, kept


def test_deactivation_and_deletion_revoke_everything(callers, owner, factories, tenant):
    bob = factories.user(tenant, email="bob@acme.io")
    cat = factories.user(tenant, email="cat@acme.io")
    bob_api, cat_api = callers.as_user("bob@acme.io"), callers.as_user("cat@acme.io")
    assert owner.patch(f"/users/{bob.id}", json={"is_active": False}).status_code == 200
    assert owner.delete(f"/users/{cat.id}").status_code == 204
    assert bob_api.get("/me").status_code == 401 and cat_api.get("/me").status_code == 401
    assert owner.get(f"/users/{cat.id}").status_code == 404


def test_changing_your_password_revokes_your_other_grants(callers, factories, tenant):
    dee = factories.user(tenant, email="dee@acme.io")
    laptop, phone = callers.as_user("dee@acme.io"), callers.as_user("dee@acme.io")
    unproven = laptop.patch(f"/users/{dee.id}", json={"password": "a brand new passphrase",
                                                      "current_password": "wrong guess"})
    assert unproven.status_code == 422 and "current_password" in unproven.json["errors"]
    assert laptop.patch(f"/users/{dee.id}", json={
        "password": "a brand new passphrase"}).status_code == 422
    changed = laptop.patch(f"/users/{dee.id}", json={"password": "a brand new passphrase",
                                                     "current_password": PASSWORD})
    assert changed.status_code == 200
    assert laptop.get("/me").status_code == 200
    assert phone.get("/me").status_code == 401


def test_a_user_cannot_change_their_own_role(callers, factories, tenant):
    eve = factories.user(tenant, email="eve@acme.io")
    eve_api = callers.as_user("eve@acme.io")
    assert eve_api.patch(f"/users/{eve.id}", json={"role": "admin"}).status_code == 403


def test_email_addresses_stay_within_rfc_5321_limits(owner):
    too_long_local = owner.post("/users", json={
        "email": "a" * 65 + "@acme.io", "password": PASSWORD})
    assert too_long_local.status_code == 422
    assert too_long_local.json["errors"]["email"] == [
        "the part before @ can have at most 64 characters"]
    assert owner.post("/users", json={"email": "a" * 64 + "@acme.io",
                                      "password": PASSWORD}).status_code == 201
