"""The write policy: nobody creates, changes, takes over or obtains credentials for anything
that holds more than they hold (issue #11).

First the three reported escalations, each by name; then the generated matrix.
"""
import sqlalchemy as sa
from sqlalchemy import select

from api.clients.models import Client
from api.db import tenant_scope
from api.users.models import User
from tests.factories import PASSWORD
from tests.helpers import REDIRECT_URI, basic_auth

#: A scope an admin does not hold: tenant settings and owners.
ABOVE_ADMIN = "tenant:write tenant:delete owners:manage users:write"


def fresh(db, tenant, model, object_id):
    """The row as the database has it now (not the session's cached copy)."""
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return db.session.get(model, object_id)


def owner_row(db, tenant) -> User:
    with tenant_scope(db.session, tenant.id):
        return db.session.scalar(select(User).where(User.email == "owner@acme.io"))


def client_credentials(http, client_id, secret):
    return http.post("/t/acme/token", data={"grant_type": "client_credentials"},
                     headers=basic_auth(client_id, secret))


# The three reported attacks ------------------------------------------------------------------

def test_attack_1_an_admin_cannot_set_an_owners_password(db, client, callers, admin, tenant):
    the_owner = owner_row(db, tenant)
    hash_before = the_owner.password_hash
    chosen = "the admin's own passphrase"
    response = admin.patch(f"/users/{the_owner.id}", json={"password": chosen})
    assert response.status_code == 403
    sign_in = client.post("/t/acme/token", data={
        "grant_type": "password", "username": "owner@acme.io", "password": chosen},
        headers=basic_auth(callers.app_client.client_id, callers.app_secret))
    assert sign_in.status_code == 400 and sign_in.json["error"] == "invalid_grant"
    assert fresh(db, tenant, User, the_owner.id).password_hash == hash_before
    assert callers.as_user("owner@acme.io").get("/me").status_code == 200


def test_attack_2_an_admin_cannot_rotate_the_secret_of_a_client_above_them(
        db, client, factories, admin, tenant):
    target, secret = factories.client(tenant, scope=ABOVE_ADMIN)
    hash_before = target.client_secret_hash
    response = admin.post(f"/clients/{target.id}/secret")
    assert response.status_code == 403 and "client_secret" not in response.json
    assert fresh(db, tenant, Client, target.id).client_secret_hash == hash_before
    assert client_credentials(client, target.client_id, secret).status_code == 200


def test_attack_3_an_admin_cannot_add_a_grant_to_a_client_above_them(
        db, factories, admin, tenant):
    target, _ = factories.client(tenant, grant_types=("authorization_code",),
                                 scope=ABOVE_ADMIN, redirect_uris=[REDIRECT_URI])
    response = admin.patch(f"/clients/{target.id}", json={
        "grant_types": ["authorization_code", "client_credentials"]})
    assert response.status_code == 403
    after = fresh(db, tenant, Client, target.id)
    assert after.grant_types == ["authorization_code"] and after.scope == ABOVE_ADMIN


def test_refusals_are_audited_with_what_the_target_holds_above_the_caller(db, admin, tenant):
    from api.audit.models import AuditEvent

    the_owner = owner_row(db, tenant)
    assert admin.patch(f"/users/{the_owner.id}", json={"password": PASSWORD}).status_code == 403
    with tenant_scope(db.session, tenant.id):
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "permission.denied").order_by(
            sa.desc(AuditEvent.created_at))).first()
    assert event.outcome == "denied" and event.target_id == str(the_owner.id)
    assert set(event.details["above"]) == {"tenant:write", "tenant:delete", "owners:manage"}
