"""Every endpoint × {owner, admin, user, client token, narrowed token, no token}.

The expected status follows from the permission each endpoint requires and the
permissions each caller's token carries (role ∩ scopes, or the client's scopes).
"""
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.db import tenant_scope, utcnow
from api.oauth.models import Grant, SignInSession
from api.rbac import permissions as p
from api.users.models import User
from tests.helpers import CLIENT_SCOPE
from tests.factories import PASSWORD

_numbers = itertools.count()


class Targets:
    """Fresh objects for each request, so a success is always possible."""

    def __init__(self, db, factories, callers, tenant):
        self.db, self.factories, self.callers, self.tenant = db, factories, callers, tenant

    def user(self):
        return self.factories.user(self.tenant, role="user")

    def _owner(self):
        if not hasattr(self, "_owner_api"):
            self._owner_api = self.callers.as_user("owner@acme.io")
        return self._owner_api

    def _create(self, path, body):
        response = self._owner().post(path, json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    def project(self):
        return self._create("/projects", {"name": f"P{next(_numbers)}"})

    def role(self):
        return self._create("/roles", {"name": f"custom-{next(_numbers)}",
                                       "permissions": ["projects:read"]})

    def client(self):
        return self.factories.client(self.tenant)[0].id

    def resource(self):
        return self._create("/resources", new_resource())

    def initial_access_token(self):
        return self._create("/initial-access-tokens", {})

    def session(self):
        """Someone else's sign-in session (``/me/sessions/{id}`` finds only one's own)."""
        user = self.user()
        with tenant_scope(self.db.session, self.tenant.id):
            row = SignInSession(user_id=user.id, auth_time=utcnow(), amr=["pwd"],
                                expires_at=utcnow() + timedelta(hours=1))
            self.db.session.add(row)
            self.db.session.commit()
            return row.id

    def client_id(self):
        return self.factories.client(self.tenant)[0].client_id

    def grant(self):
        user = self.user()
        self.callers.token(user.email)
        with tenant_scope(self.db.session, self.tenant.id):
            return self.db.session.scalar(select(Grant.id).where(Grant.user_id == user.id))


def new_resource():
    return {"identifier": f"https://api{next(_numbers)}.acme.example", "name": "API",
            "scope": "reports:read"}


def new_email():
    return {"email": f"new{next(_numbers)}@acme.io", "password": PASSWORD, "role": "user"}


# (label, method, path(targets), permission, body(), success status)
ENDPOINTS = [
    ("me", "GET", lambda t: "/me", None, None, 200),
    ("my sessions", "GET", lambda t: "/me/sessions", p.PROFILE_READ, None, 200),
    ("end a session", "DELETE", lambda t: f"/me/sessions/{t.session()}", p.PROFILE_WRITE,
     None, 404),  # someone else's: only one's own are found
    ("my applications", "GET", lambda t: "/me/applications", p.PROFILE_READ, None, 200),
    ("revoke an application", "DELETE", lambda t: f"/me/applications/{t.client_id()}",
     p.PROFILE_WRITE, None, 404),  # one the caller never allowed
    ("read tenant", "GET", lambda t: "/tenant", p.TENANT_READ, None, 200),
    ("edit tenant", "PATCH", lambda t: "/tenant", p.TENANT_WRITE, lambda: {"name": "Acme"}, 200),
    ("list users", "GET", lambda t: "/users", p.USERS_READ, None, 200),
    ("create user", "POST", lambda t: "/users", p.USERS_WRITE, new_email, 201),
    ("read user", "GET", lambda t: f"/users/{t.user().id}", p.USERS_READ, None, 200),
    ("edit user", "PATCH", lambda t: f"/users/{t.user().id}", p.USERS_WRITE,
     lambda: {"is_active": False}, 200),
    ("sign out user", "POST", lambda t: f"/users/{t.user().id}/sign-out", p.USERS_WRITE,
     None, 200),
    ("delete user", "DELETE", lambda t: f"/users/{t.user().id}", p.USERS_WRITE, None, 204),
    ("list roles", "GET", lambda t: "/roles", p.ROLES_READ, None, 200),
    ("create role", "POST", lambda t: "/roles", p.ROLES_WRITE,
     lambda: {"name": f"r{next(_numbers)}", "permissions": ["projects:read"]}, 201),
    ("read role", "GET", lambda t: f"/roles/{t.role()}", p.ROLES_READ, None, 200),
    ("edit role", "PATCH", lambda t: f"/roles/{t.role()}", p.ROLES_WRITE,
     lambda: {"description": "edited"}, 200),
    ("delete role", "DELETE", lambda t: f"/roles/{t.role()}", p.ROLES_WRITE, None, 204),
    ("list clients", "GET", lambda t: "/clients", p.CLIENTS_READ, None, 200),
    ("create client", "POST", lambda t: "/clients", p.CLIENTS_WRITE,
     lambda: {"client_name": "New", "grant_types": ["client_credentials"],
              "scope": "projects:read"}, 201),
    ("read client", "GET", lambda t: f"/clients/{t.client()}", p.CLIENTS_READ, None, 200),
    ("edit client", "PATCH", lambda t: f"/clients/{t.client()}", p.CLIENTS_WRITE,
     lambda: {"client_name": "Renamed"}, 200),
    ("rotate secret", "POST", lambda t: f"/clients/{t.client()}/secret", p.CLIENTS_WRITE,
     None, 200),
    ("delete client", "DELETE", lambda t: f"/clients/{t.client()}", p.CLIENTS_WRITE, None, 204),
    ("list tokens", "GET", lambda t: "/tokens", p.TOKENS_READ, None, 200),
    ("read token", "GET", lambda t: f"/tokens/{t.grant()}", p.TOKENS_READ, None, 200),
    ("revoke token", "DELETE", lambda t: f"/tokens/{t.grant()}", p.TOKENS_WRITE, None, 204),
    ("bulk revoke", "DELETE", lambda t: f"/tokens?user_id={t.user().id}", p.TOKENS_WRITE,
     None, 200),
    ("audit log", "GET", lambda t: "/audit-events", p.AUDIT_READ, None, 200),
    ("list projects", "GET", lambda t: "/projects", p.PROJECTS_READ, None, 200),
    ("create project", "POST", lambda t: "/projects", p.PROJECTS_WRITE,
     lambda: {"name": "Apollo"}, 201),
    ("read project", "GET", lambda t: f"/projects/{t.project()}", p.PROJECTS_READ, None, 200),
    ("edit project", "PATCH", lambda t: f"/projects/{t.project()}", p.PROJECTS_WRITE,
     lambda: {"description": "x"}, 200),
    ("delete project", "DELETE", lambda t: f"/projects/{t.project()}", p.PROJECTS_WRITE,
     None, 204),
    ("list resources", "GET", lambda t: "/resources", p.RESOURCES_READ, None, 200),
    ("create resource", "POST", lambda t: "/resources", p.RESOURCES_WRITE, new_resource, 201),
    ("read resource", "GET", lambda t: f"/resources/{t.resource()}", p.RESOURCES_READ, None,
     200),
    ("edit resource", "PATCH", lambda t: f"/resources/{t.resource()}", p.RESOURCES_WRITE,
     lambda: {"name": "Renamed"}, 200),
    ("delete resource", "DELETE", lambda t: f"/resources/{t.resource()}", p.RESOURCES_WRITE,
     None, 204),
    ("list initial access tokens", "GET", lambda t: "/initial-access-tokens", p.CLIENTS_WRITE,
     None, 200),
    ("create initial access token", "POST", lambda t: "/initial-access-tokens",
     p.CLIENTS_WRITE, lambda: {"description": "CI"}, 201),
    ("revoke initial access token", "DELETE",
     lambda t: f"/initial-access-tokens/{t.initial_access_token()}", p.CLIENTS_WRITE, None, 204),
    ("delete tenant", "DELETE", lambda t: "/tenant", p.TENANT_DELETE, None, 204),  # last
]

CALLER_PERMISSIONS = {
    "owner": frozenset(p.SYSTEM_ROLES[p.OWNER]),
    "admin": frozenset(p.SYSTEM_ROLES[p.ADMIN]),
    "user": frozenset(p.SYSTEM_ROLES[p.USER]),
    "client": frozenset(CLIENT_SCOPE.split()),
    "narrowed": frozenset({p.PROJECTS_READ}),
}


def expected_status(label, permission, success, held):
    if permission is None or permission in held:
        if label in ("read token", "revoke token") and p.TOKENS_MANAGE not in held:
            return 404  # someone else's grant is not visible without tokens:manage
        return success
    return 403


def api_for(kind, callers):
    if kind == "owner":
        return callers.as_user("owner@acme.io")
    if kind in ("admin", "user"):
        return callers.as_new_user(kind)
    if kind == "client":
        return callers.as_service()
    return callers.as_user("owner@acme.io", scope="projects:read")


@pytest.mark.parametrize("kind", list(CALLER_PERMISSIONS))
def test_rbac_matrix(db, factories, callers, tenant, kind):
    api = api_for(kind, callers)
    targets = Targets(db, factories, callers, tenant)
    held = CALLER_PERMISSIONS[kind]
    outcomes = {}
    for label, method, path, permission, body, success in ENDPOINTS:
        response = api.call(method, path(targets), json=body() if body else None)
        outcomes[label] = (response.status_code,
                           expected_status(label, permission, success, held))
    wrong = {label: got for label, got in outcomes.items() if got[0] != got[1]}
    assert wrong == {}, f"(got, expected) for {kind}: {wrong}"


def test_no_token_is_401_everywhere(db, factories, callers, tenant):
    api = callers.anonymous()
    targets = Targets(db, factories, callers, tenant)
    for label, method, path, _, body, _ in ENDPOINTS:
        response = api.call(method, path(targets), json=body() if body else None)
        assert response.status_code == 401, label
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_denied_attempts_are_audited(db, member, tenant):
    assert member.get("/audit-events").status_code == 403
    from api.audit.models import AuditEvent
    with tenant_scope(db.session, tenant.id):
        denied = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "permission.denied")).all()
    assert len(denied) == 1
    event = denied[0]
    assert event.outcome == "denied" and event.actor_type == "user"
    assert event.details["path"] == "/t/acme/api/v1/audit-events"
    assert event.request_id and event.ip == "127.0.0.1"


def test_users_see_themselves_but_not_others(db, factories, callers, tenant):
    user = factories.user(tenant, role="user")
    api = callers.as_user(user.email)
    assert api.get(f"/users/{user.id}").status_code == 200
    with tenant_scope(db.session, tenant.id):
        owner_id = db.session.scalar(select(User.id).where(User.email == "owner@acme.io"))
    assert api.get(f"/users/{owner_id}").status_code == 403
