"""Clients, tokens, audit events, projects, tenant settings and sign-up."""
import uuid

from api.db import tenant_scope
from api.oauth.models import Grant
from tests.factories import PASSWORD
from tests.helpers import basic_auth


def test_client_secret_is_shown_once_and_rotates(owner, client):
    created = owner.post("/clients", json={"client_name": "Billing", "grant_types": [
        "client_credentials"], "scope": "projects:read"})
    assert created.status_code == 201
    secret, client_uuid = created.json["client_secret"], created.json["id"]
    assert "client_secret" not in owner.get(f"/clients/{client_uuid}").json
    assert all("client_secret" not in item for item in owner.get("/clients").json["items"])

    def token(with_secret):
        return client.post("/t/acme/token", data={"grant_type": "client_credentials"},
                           headers=basic_auth(created.json["client_id"], with_secret))

    assert token(secret).status_code == 200
    rotated = owner.post(f"/clients/{client_uuid}/secret").json["client_secret"]
    assert rotated != secret
    assert token(secret).status_code == 401 and token(rotated).status_code == 200


def test_public_clients_have_no_secret(owner):
    created = owner.post("/clients", json={
        "client_name": "SPA", "grant_types": ["authorization_code"],
        "redirect_uris": ["http://localhost:3000/cb"], "token_endpoint_auth_method": "none"})
    assert created.status_code == 201 and created.json["client_secret"] is None
    assert owner.post(f"/clients/{created.json['id']}/secret").status_code == 409


def test_editing_a_client(owner):
    created = owner.post("/clients", json={"client_name": "Web", "grant_types": [
        "authorization_code"], "redirect_uris": ["https://a.example/cb"]}).json
    edited = owner.patch(f"/clients/{created['id']}", json={
        "redirect_uris": ["https://b.example/cb"], "scope": "openid"})
    assert edited.status_code == 200
    assert edited.json["redirect_uris"] == ["https://b.example/cb"]
    assert owner.patch(f"/clients/{created['id']}", json={
        "redirect_uris": []}).status_code == 422


def test_pkce_is_required_unless_a_legacy_client_opts_out(owner):
    web = owner.post("/clients", json={"client_name": "Web", "grant_types": [
        "authorization_code"], "redirect_uris": ["https://a.example/cb"]}).json
    assert web["require_pkce"] is True
    assert owner.get(f"/clients/{web['id']}").json["require_pkce"] is True
    legacy = owner.patch(f"/clients/{web['id']}", json={"require_pkce": False})
    assert legacy.status_code == 200 and legacy.json["require_pkce"] is False
    spa = owner.post("/clients", json={
        "client_name": "SPA", "grant_types": ["authorization_code"],
        "redirect_uris": ["http://localhost:3000/cb"], "token_endpoint_auth_method": "none"})
    assert spa.json["require_pkce"] is True
    refused = owner.patch(f"/clients/{spa.json['id']}", json={"require_pkce": False})
    assert refused.status_code == 422 and "require_pkce" in refused.json["errors"]


def test_deleting_a_client_kills_its_tokens(owner, callers):
    service = callers.as_service()
    assert service.get("/me").status_code == 200
    assert owner.delete(f"/clients/{callers.service.id}").status_code == 204
    assert service.get("/me").status_code == 401


def test_tokens_lists_and_revokes_grants(db, owner, member, callers, tenant):
    own = member.get("/tokens").json
    assert own["total"] == 1 and own["items"][0]["user_email"].startswith("user")
    everyone = owner.get("/tokens").json
    assert everyone["total"] >= 2
    by_client = owner.get("/tokens", query_string={"client_id": callers.app_client.client_id})
    assert by_client.json["total"] == everyone["total"]
    grant_id = own["items"][0]["id"]
    assert member.delete(f"/tokens/{grant_id}").status_code == 204
    assert member.get("/me").status_code == 401
    with tenant_scope(db.session, tenant.id):
        assert db.session.get(Grant, uuid.UUID(grant_id)).revoked_at is not None


def test_audit_events_record_writes_and_filter(owner):
    owner.post("/projects", json={"name": "Audited"})
    created = owner.get("/audit-events", query_string={"action": "project.created"}).json
    assert created["total"] == 1
    event = created["items"][0]
    assert event["actor"] == "owner@acme.io" and event["outcome"] == "success"
    assert event["ip"] == "127.0.0.1" and event["request_id"] and event["target_id"]
    assert owner.get("/audit-events", query_string={"action": "project.*"}).json["total"] == 1
    assert owner.get("/audit-events", query_string={"actor": "nobody"}).json["total"] == 0
    future = owner.get("/audit-events", query_string={"since": "2999-01-01T00:00:00+00:00"})
    assert future.json["total"] == 0


def test_the_audit_log_has_no_write_path(owner):
    event_id = owner.get("/audit-events").json["items"][0]["id"]
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert owner.call(method, f"/audit-events/{event_id}").status_code in (404, 405)
        assert owner.call(method, "/audit-events").status_code == 405


def test_projects_crud(owner, member):
    created = member.post("/projects", json={"name": "Apollo", "description": "moon"})
    assert created.status_code == 201 and created.json["owner_id"]
    project = created.json["id"]
    assert owner.get(f"/projects/{project}").json["name"] == "Apollo"
    assert member.patch(f"/projects/{project}", json={"name": "Artemis"}).json["name"] == \
        "Artemis"
    assert owner.get("/projects", query_string={"name": "art"}).json["total"] == 1
    assert member.delete(f"/projects/{project}").status_code == 204
    assert owner.get(f"/projects/{project}").status_code == 404


def test_tenant_settings_and_soft_delete(owner, client):
    assert owner.get("/tenant").json["slug"] == "acme"
    changed = owner.patch("/tenant", json={"name": "Acme Corp", "access_token_lifetime": 600})
    assert changed.json["name"] == "Acme Corp" and changed.json["access_token_lifetime"] == 600
    assert owner.patch("/tenant", json={"access_token_lifetime": 5}).status_code == 422
    assert owner.delete("/tenant").status_code == 204
    assert client.get("/t/acme/.well-known/openid-configuration").status_code == 404
    assert owner.get("/me").status_code == 404


def test_sign_up_creates_a_tenant_and_can_be_switched_off(app, client):
    body = {"slug": "newco", "name": "NewCo", "owner_email": "founder@newco.io",
            "owner_password": PASSWORD}
    created = client.post("/api/v1/tenants", json=body)
    assert created.status_code == 201
    assert created.json["issuer"] == "http://localhost:8080/t/newco"
    assert client.post("/api/v1/tenants", json=body).status_code == 409
    app.config["TENANT_SIGNUP"] = False
    try:
        off = client.post("/api/v1/tenants", json={**body, "slug": "other"})
        assert off.status_code == 403
    finally:
        app.config["TENANT_SIGNUP"] = True


def test_sign_up_validates_its_input(client):
    response = client.post("/api/v1/tenants", json={"slug": "X", "name": "",
                                                    "owner_email": "nope",
                                                    "owner_password": PASSWORD})
    assert response.status_code == 422
    assert {"slug", "name", "owner_email"} <= set(response.json["errors"])


def test_client_display_metadata_is_stored_and_checked(owner):
    body = {"client_name": "Shop", "grant_types": ["client_credentials"],
            "logo_uri": "https://shop.example/logo.png", "client_uri": "https://shop.example",
            "policy_uri": "https://shop.example/privacy", "tos_uri": "https://shop.example/tos"}
    created = owner.post("/clients", json=body)
    assert created.status_code == 201
    assert {k: created.json[k] for k in body if k.endswith("_uri")} == {
        k: v for k, v in body.items() if k.endswith("_uri")}
    edited = owner.patch(f"/clients/{created.json['id']}", json={"logo_uri": None})
    assert edited.status_code == 200 and edited.json["logo_uri"] is None
    refused = owner.patch(f"/clients/{created.json['id']}", json={
        "policy_uri": "http://shop.example/privacy", "logo_uri": "javascript:alert(1)"})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) == {"policy_uri", "logo_uri"}


def test_tenant_branding_merges_and_validates(owner):
    saved = owner.patch("/tenant", json={"branding": {
        "display_name": "Acme Shop", "logo_uri": "https://acme.example/logo.png",
        "primary_color": "#aa3300"}})
    assert saved.status_code == 200
    merged = owner.patch("/tenant", json={"branding": {"primary_color": None}})
    assert merged.json["branding"] == {"display_name": "Acme Shop",
                                       "logo_uri": "https://acme.example/logo.png"}
    bad = owner.patch("/tenant", json={"branding": {"logo_uri": "http://acme.example/l.png",
                                                    "primary_color": "red"}})
    assert bad.status_code == 422 and "branding" in bad.json["errors"]


def test_audit_events_name_their_target_and_filter_by_it(owner):
    email = f"target-{uuid.uuid4().hex[:6]}@acme.io"
    created = owner.post("/users", json={"email": email, "password": PASSWORD})
    owner.patch(f"/users/{created.json['id']}", json={"is_active": False})
    by_target = owner.get("/audit-events", query_string={"target": email}).json
    assert [e["action"] for e in by_target["items"]] == ["user.deactivated", "user.created"]
    assert by_target["items"][0]["target_label"] == email
    by_id = owner.get("/audit-events", query_string={"target": created.json["id"]}).json
    assert by_id["total"] == 2
    several = owner.get("/audit-events", query_string={
        "target": email, "action": "user.created,user.deleted"}).json
    assert [e["action"] for e in several["items"]] == ["user.created"]
    assert owner.get("/audit-events", query_string={"since": "garbage"}).status_code == 422


def test_bulk_revoke_needs_a_filter_and_is_audited(owner, callers, factories, tenant):
    user = factories.user(tenant, role="user")
    callers.token(user.email)
    callers.token(user.email)
    assert owner.delete("/tokens").status_code == 422
    listed = owner.get("/tokens", query_string={"user_id": str(user.id),
                                                "grant_type": "password"}).json
    assert listed["total"] == 2
    revoked = owner.delete(f"/tokens?user_id={user.id}")
    assert revoked.status_code == 200 and revoked.json == {"revoked": 2}
    assert owner.get("/tokens", query_string={"user_id": str(user.id)}).json["total"] == 0
    events = owner.get("/audit-events", query_string={"action": "grants.bulk_revoked"}).json
    assert events["items"][0]["details"] == {"revoked": 2, "user_id": str(user.id)}


def test_sign_out_everywhere_revokes_grants(owner, callers, factories, tenant):
    user = factories.user(tenant, role="user")
    member = callers.as_user(user.email)
    assert member.get("/me").status_code == 200
    signed_out = owner.post(f"/users/{user.id}/sign-out")
    assert signed_out.status_code == 200
    assert member.get("/me").status_code == 401
    events = owner.get("/audit-events", query_string={"target": user.email}).json["items"]
    assert "user.signed_out_everywhere" in [e["action"] for e in events]
