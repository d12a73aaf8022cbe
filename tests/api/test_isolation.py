"""Tenant isolation: another tenant's token, or another tenant's object id → 401/404, no change."""
import pytest
from sqlalchemy import func, select

from api.models import (AuditEvent, Client, Grant, InitialAccessToken, Project, Resource, Role,
                        User)
from tests.helpers import Callers, count_everywhere, each_tenant


@pytest.fixture
def other(client, factories):
    tenant, _ = factories.tenant("globex", owner_email="boss@globex.io")
    return Callers(client, factories, tenant)


@pytest.fixture
def victim_objects(owner, callers, factories, tenant):
    """One of each object in acme, the victim tenant."""
    user = factories.user(tenant, email="victim@acme.io")
    callers.token("victim@acme.io")
    return {
        "users": str(user.id),
        "roles": owner.post("/roles", json={"name": "victims",
                                            "permissions": ["projects:read"]}).json["id"],
        "clients": owner.post("/clients", json={"client_name": "Victim app",
                                                "grant_types": ["client_credentials"]}
                              ).json["id"],
        "tokens": owner.get("/tokens").json["items"][0]["id"],
        "projects": owner.post("/projects", json={"name": "Secret"}).json["id"],
        "resources": owner.post("/resources", json={"identifier": "https://victim.example",
                                                    "name": "Victim API"}).json["id"],
        "initial-access-tokens": owner.post("/initial-access-tokens", json={}).json["id"],
    }


def snapshot(db):
    db.session.expire_all()
    return {model.__tablename__: count_everywhere(db, select(func.count()).select_from(model))
            for model in (User, Role, Client, Grant, Project, Resource, InitialAccessToken)} | {
        "revoked": count_everywhere(db, select(func.count(Grant.id))
                                    .where(Grant.revoked_at.is_not(None))),
        "active_users": count_everywhere(db, select(func.count(User.id))
                                         .where(User.is_active, User.deleted_at.is_(None)))}


def requests_on(objects):
    for resource, object_id in objects.items():
        if resource != "initial-access-tokens":  # listed and revoked, never read one by one
            yield "GET", f"/{resource}/{object_id}", None
        if resource not in ("tokens", "initial-access-tokens"):
            yield "PATCH", f"/{resource}/{object_id}", {
                "users": {"is_active": False}, "roles": {"description": "pwned"},
                "clients": {"client_name": "pwned"}, "projects": {"name": "pwned"},
                "resources": {"name": "pwned"}}[resource]
        yield "DELETE", f"/{resource}/{object_id}", None
    yield "POST", f"/clients/{objects['clients']}/secret", None
    yield "POST", f"/users/{objects['users']}/factors/reset", None


def test_another_tenants_token_is_401_on_every_endpoint(db, other, callers, victim_objects):
    intruder = other.as_user("boss@globex.io")
    intruder.slug = "acme"  # a globex token sent to acme's API
    before = snapshot(db)
    paths = [("GET", p, None) for p in ("/me", "/tenant", "/users", "/roles", "/clients",
                                        "/tokens", "/audit-events", "/projects", "/resources",
                                        "/initial-access-tokens", "/me/factors",
                                        "/me/passkeys")]
    paths += [("POST", "/projects", {"name": "x"}), ("PATCH", "/tenant", {"name": "x"}),
              ("POST", "/me/factors/totp", None), ("POST", "/me/recovery-codes", None),
              ("POST", "/me/passkeys/options", None),
              ("DELETE", "/tenant", None)]
    for method, path, body in [*paths, *requests_on(victim_objects)]:
        response = intruder.call(method, path, json=body)
        assert response.status_code == 401, (method, path, response.status_code)
        assert "victim" not in response.get_data(as_text=True).lower()
    assert snapshot(db) == before


def test_another_tenants_object_ids_are_404(db, other, victim_objects):
    intruder = other.as_user("boss@globex.io")  # globex's owner, on globex's own API
    before = snapshot(db)
    for method, path, body in requests_on(victim_objects):
        response = intruder.call(method, path, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.mimetype == "application/problem+json"
    assert snapshot(db) == before


def test_lists_and_counts_show_only_the_own_tenant(other, owner, victim_objects):
    intruder = other.as_user("boss@globex.io")
    for resource in ("users", "roles", "clients", "tokens", "projects", "audit-events",
                     "resources", "initial-access-tokens"):
        page = intruder.get(f"/{resource}").json
        ids = {item["id"] for item in page["items"]}
        assert victim_objects.get(resource) not in ids
        assert page["total"] == len(page["items"])
    assert intruder.get("/users").json["total"] == 1  # only globex's owner


def test_no_audit_event_of_one_tenant_reaches_another(db, other, owner):
    intruder = other.as_user("boss@globex.io")
    events = intruder.get("/audit-events", query_string={"per_page": 100}).json["items"]
    acme_ids = set()
    for _ in each_tenant(db):
        acme_ids |= {str(i) for i in db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.actor == "owner@acme.io"))}
    assert acme_ids and not acme_ids & {e["id"] for e in events}
