"""The write policy: nobody creates, changes, takes over or obtains credentials for anything
that holds more than they hold (issue #11).

First the three reported escalations, each by name; then the generated matrix.
"""
import inspect
import itertools
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.clients.models import Client, InitialAccessToken
from api.db import tenant_scope
from api.rbac import permissions as p
from api.rbac.models import Role
from api.resources.models import Resource
from api.tenancy.models import Tenant
from api.users.models import User
from tests.factories import PASSWORD
from tests.helpers import REDIRECT_URI, Api, basic_auth

#: A scope an admin does not hold: tenant settings and owners.
ABOVE_ADMIN = "tenant:write tenant:delete owners:manage users:write"


def fresh(db, tenant, model, object_id):
    """The row as the database has it now (not the session's cached copy)."""
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return db.session.get(model, uuid.UUID(str(object_id)))


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
    the_owner = owner_row(db, tenant)
    assert admin.patch(f"/users/{the_owner.id}", json={"password": PASSWORD}).status_code == 403
    with tenant_scope(db.session, tenant.id):
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "permission.denied").order_by(
            sa.desc(AuditEvent.created_at))).first()
    assert event.outcome == "denied" and event.target_id == str(the_owner.id)
    assert set(event.details["above"]) == {"tenant:write", "tenant:delete", "owners:manage"}


# The generated matrix ------------------------------------------------------------------------
#
# Endpoints: every POST/PUT/PATCH/DELETE of the URL map under /t/<slug>/api/v1, each with the
# schema its view loads the body with, so an endpoint or a field added later is in the matrix
# without editing this file (a write endpoint of a new resource fails
# test_every_write_endpoint_is_classified until it is). Fields: each field of that schema on
# its own (PATCH), or a body with every field (create). Callers: a user, an admin, an owner and
# a client_credentials token. Targets: holding less than, as much as, or more than the caller,
# and for users the caller themselves. The rule: 403 exactly where the target holds more (or
# the caller lacks the endpoint's permission), and a refusal changes nothing and is audited.

_numbers = itertools.count()

API_V1 = "/t/<slug:slug>/api/v1/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: Write endpoints the policy does not limit, by resource, and why.
OUTSIDE_THE_POLICY = {
    "tokens": "revoking a grant only ends access; it never gives any",
    "projects": "a project holds no permissions",
}

#: Write endpoints whose only target is the caller's own user (``/me``): each goes through
#: the policy on the caller (``writable_user``), which tests/api/test_accounts.py checks.
ON_THE_CALLER = {
    "me": "the caller's own profile, address and verification",
    "factors": "the caller's own second factors",
    "passkeys": "the caller's own passkeys",
    "user_signup": "a new user with the default role, made by nobody in particular",
}

#: What a caller may change on themselves without users:write (README: "everyone ... changes
#: their own password", giving the current one, "and profile"), and the writes they may make
#: on themselves.
SELF_SERVICE = {"password", "current_password", "name", "given_name", "family_name"}
SELF_SERVICE_ENDPOINTS = {"users.sign_out_user"}

#: The client_credentials caller: enough to write users, roles, clients, APIs and settings,
#: less than an admin in other ways, and not every permission.
SERVICE_SCOPES = frozenset({p.USERS_READ, p.USERS_WRITE, p.ROLES_READ, p.ROLES_WRITE,
                            p.CLIENTS_READ, p.CLIENTS_WRITE, p.TENANT_READ, p.TENANT_WRITE,
                            p.PROJECTS_READ, p.RESOURCES_READ, p.RESOURCES_WRITE})

CALLERS = {
    "user": p.SYSTEM_ROLES[p.USER],
    "admin": p.SYSTEM_ROLES[p.ADMIN],
    "owner": p.SYSTEM_ROLES[p.OWNER],
    "client": SERVICE_SCOPES,
}

#: Fields whose type says too little to make a valid value of (a callable: a new one each time).
NAMED_SAMPLES = {"password": PASSWORD, "redirect_uris": ["https://app.example/elsewhere"],
                 "identifier": lambda: f"https://api{next(_numbers)}.acme.example",
                 "jwks": None, "jwks_uri": "https://app.example/jwks.json",
                 "client_registration_policy": {"grant_types": ["authorization_code"],
                                                "scope": "openid"},
                 "max_uses": 1, "branding": {"display_name": "Acme Shop"},
                 **dict.fromkeys(("logo_uri", "client_uri", "policy_uri", "tos_uri"),
                                 "https://app.example/about"),
                 "post_logout_redirect_uris": ["https://app.example/signed-out"],
                 "backchannel_logout_uri": "https://app.example/backchannel-logout",
                 "allowed_cors_origins": ["https://app.example"]}


@dataclass(frozen=True)
class WriteEndpoint:
    """One write of the URL map: endpoint name, method, resource (its blueprint), the URL
    argument naming the target (None for a collection or the tenant) and the body schema."""

    name: str
    method: str
    resource: str
    item: str | None
    schema: type[Schema] | None

    @property
    def creates(self) -> bool:
        return self.method == "POST" and self.item is None


def body_schema(view) -> type[Schema] | None:
    """The schema a thin route loads its body with: the Schema class its code names."""
    view = inspect.unwrap(view)
    named = {view.__globals__.get(name) for name in view.__code__.co_names}
    schemas = [s for s in named if isinstance(s, type) and issubclass(s, Schema)]
    assert len(schemas) <= 1, f"{view.__name__} names several schemas: {schemas}"
    return schemas[0] if schemas else None


def write_endpoints(app) -> list[WriteEndpoint]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_V1):
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            items = sorted(rule.arguments - {"slug"})
            found.append(WriteEndpoint(rule.endpoint, method, rule.endpoint.split(".")[-2],
                                       items[0] if items else None,
                                       body_schema(app.view_functions[rule.endpoint])))
    return found


def sample(name: str, field: fields.Field):
    """A valid value for a field, from its type and validators."""
    if name in NAMED_SAMPLES:
        value = NAMED_SAMPLES[name]
        return value() if callable(value) else value
    if isinstance(field, fields.List):
        return [sample(name, field.inner)]
    if isinstance(field, fields.Boolean):
        return False
    if isinstance(field, fields.Email):
        return f"sample{next(_numbers)}@acme.io"
    if isinstance(field, fields.Integer):
        return max([v.min for v in field.validators if isinstance(v, validate.Range)] + [1])
    if isinstance(field, fields.String):
        choices = [v.choices for v in field.validators if isinstance(v, validate.OneOf)]
        return list(choices[0])[0] if choices else f"sample-{next(_numbers)}"
    raise AssertionError(f"no sample value for the {type(field).__name__} field {name!r}: "
                         f"add one to NAMED_SAMPLES")


class World:
    """The tenant the matrix acts in, and its set-up hand: owner@acme.io."""

    def __init__(self, app, db, factories, callers, tenant):
        self.app, self.db, self.factories, self.callers = app, db, factories, callers
        self.tenant, self.http = tenant, callers.http
        self.setup = callers.as_user("owner@acme.io")
        self._roles = {holds: name for name, holds in p.SYSTEM_ROLES.items()}

    def scoped(self):
        return tenant_scope(self.db.session, self.tenant.id)

    def role_holding(self, holds: frozenset[str]) -> str:
        """A role holding exactly ``holds``: the system role that does, or a custom one."""
        if holds not in self._roles:
            self._roles[holds] = self.new_role(holds)[1]
        return self._roles[holds]

    def new_role(self, holds: frozenset[str]) -> tuple[str, str]:
        name = f"holds-{next(_numbers)}"
        created = self.setup.post("/roles", json={"name": name, "permissions": sorted(holds)})
        assert created.status_code == 201, created.json
        return created.json["id"], name

    def caller(self, kind: str) -> tuple[Api, uuid.UUID | None]:
        """A new caller of ``kind`` and, for a user, their id."""
        if kind == "client":
            service, secret = self.factories.client(self.tenant,
                                                    scope=" ".join(sorted(SERVICE_SCOPES)))
            token = client_credentials(self.http, service.client_id, secret).json["access_token"]
            return Api(self.http, self.tenant.slug, token), None
        user = self.factories.user(self.tenant, role=kind)
        return Api(self.http, self.tenant.slug, self.callers.token(user.email)), user.id

    def snapshot(self, model, object_id) -> dict | None:
        """Every column and collection of a row, as the database has it (None: gone)."""
        with self.scoped():
            self.db.session.expire_all()
            row = self.db.session.get(model, uuid.UUID(str(object_id)))
            if row is None:
                return None
            mapper = sa.inspect(model)
            values = {c.key: getattr(row, c.key) for c in mapper.column_attrs}
            values.update({r.key: sorted(str(x.id) for x in getattr(row, r.key))
                           for r in mapper.relationships if r.uselist})
            return values

    def count(self, model) -> int:
        with self.scoped():
            return self.db.session.scalar(select(sa.func.count(model.id)))

    def refusals(self) -> dict:
        with self.scoped():
            return {e.id: e.details for e in self.db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "permission.denied"))}


class Users:
    """A user holds their role's permissions."""

    model, holdings_field, fixed = User, "role", None
    permission = dict.fromkeys(("POST", "PATCH", "DELETE"), p.USERS_WRITE)

    def holding(self, world: World, holds: frozenset[str]) -> str:
        return world.role_holding(holds)

    def make(self, world: World, holds: frozenset[str]):
        return world.factories.user(world.tenant, role=world.role_holding(holds)).id


class Clients:
    """A client holds its registered permission scopes."""

    model, holdings_field, fixed = Client, "scope", None
    permission = dict.fromkeys(("POST", "PATCH", "DELETE"), p.CLIENTS_WRITE)

    def holding(self, world: World, holds: frozenset[str]) -> str:
        return " ".join(["openid", *sorted(holds)])

    def make(self, world: World, holds: frozenset[str]):
        return world.factories.client(
            world.tenant, grant_types=("authorization_code", "client_credentials"),
            scope=self.holding(world, holds), redirect_uris=[REDIRECT_URI])[0].id


class Roles:
    """A role holds its permission set."""

    model, holdings_field, fixed = Role, "permissions", None
    permission = dict.fromkeys(("POST", "PATCH", "DELETE"), p.ROLES_WRITE)

    def holding(self, world: World, holds: frozenset[str]) -> list[str]:
        return sorted(holds)

    def make(self, world: World, holds: frozenset[str]):
        return world.new_role(holds)[0]


class TenantSettings:
    """The tenant holds every permission."""

    model, holdings_field, fixed = Tenant, None, frozenset(p.ALL)
    permission = {"PATCH": p.TENANT_WRITE, "DELETE": p.TENANT_DELETE}

    def make(self, world: World, holds: frozenset[str]):
        return world.tenant.id


class Resources:
    """An API holds the permission scopes it accepts."""

    model, holdings_field, fixed = Resource, "scope", None
    permission = dict.fromkeys(("POST", "PATCH", "DELETE"), p.RESOURCES_WRITE)

    def holding(self, world: World, holds: frozenset[str]) -> str:
        return " ".join(["reports:read", *sorted(holds)])

    def make(self, world: World, holds: frozenset[str]):
        created = world.setup.post("/resources", json={
            "identifier": f"https://api{next(_numbers)}.acme.example", "name": "API",
            "scope": self.holding(world, holds)})
        assert created.status_code == 201, created.json
        return created.json["id"]


class InitialAccessTokens:
    """An initial access token holds what the registration policy lets a client hold
    (identity scopes only, by default: nothing)."""

    model, holdings_field, fixed = InitialAccessToken, None, frozenset()
    permission = dict.fromkeys(("POST", "DELETE"), p.CLIENTS_WRITE)

    def make(self, world: World, holds: frozenset[str]):
        return world.setup.post("/initial-access-tokens", json={}).json["id"]


KINDS = {"users": Users(), "clients": Clients(), "roles": Roles(),
         "tenant_settings": TenantSettings(), "resources": Resources(),
         "initial_access_tokens": InitialAccessTokens()}


def levels(kind, held: frozenset[str]) -> dict[str, frozenset[str]]:
    """What targets of each level hold, for a caller holding ``held``."""
    if kind.fixed is not None:
        return {"more" if kind.fixed - held else "equal": kind.fixed}
    found = {"less": held - {max(held)}, "equal": held}
    above = sorted(set(p.ALL) - held)
    if above:
        found["more"] = held | {above[0]}
    return found


@dataclass(frozen=True)
class Cell:
    endpoint: WriteEndpoint
    field: str | None
    level: str
    holds: frozenset[str]

    def __str__(self) -> str:
        field = f" {self.field}" if self.field else ""
        return f"{self.endpoint.method} {self.endpoint.name}{field} on {self.level}"


def cells(app, caller_kind: str) -> list[Cell]:
    """Endpoint × field × target level for one caller; deleting the tenant comes last."""
    held = CALLERS[caller_kind]
    found = []
    for endpoint in write_endpoints(app):
        if endpoint.resource not in KINDS:
            continue
        kind = KINDS[endpoint.resource]
        targets = levels(kind, held)
        if endpoint.resource == "users" and endpoint.item and caller_kind != "client":
            targets["self"] = held
        names = [None] if endpoint.creates or endpoint.schema is None else \
            sorted(endpoint.schema().load_fields)
        found += [Cell(endpoint, name, level, holds)
                  for name in names for level, holds in targets.items()]
    return sorted(found, key=lambda c: c.endpoint.name.endswith("delete_tenant"))


def expected_refusal(cell: Cell, held: frozenset[str]) -> str | None:
    """"missing" (the caller lacks the endpoint's permission), "above" (the target holds more)
    or None (allowed)."""
    needed = KINDS[cell.endpoint.resource].permission[cell.endpoint.method]
    self_service = cell.level == "self" and p.PROFILE_WRITE in held and (
        cell.field in SELF_SERVICE
        or ".".join(cell.endpoint.name.split(".")[-2:]) in SELF_SERVICE_ENDPOINTS)
    if needed not in held and not self_service:
        return "missing"
    return "above" if cell.level == "more" else None


def body(world: World, cell: Cell):
    """Every field (create), the one field (PATCH), or no body. The field that says what the
    target holds asks for nothing, so that only the target's level decides."""
    kind, schema = KINDS[cell.endpoint.resource], cell.endpoint.schema
    if schema is None:
        return None
    if cell.endpoint.creates:
        values = {name: sample(name, field) for name, field in schema().load_fields.items()}
        if kind.holdings_field is None:  # what it holds is fixed, not in the body
            return values
        return {**values, kind.holdings_field: kind.holding(world, cell.holds)}
    if cell.field == kind.holdings_field:
        return {cell.field: kind.holding(world, frozenset())}
    if cell.field == "password" and cell.level == "self":  # your own takes your current one
        return {"password": sample("password", None), "current_password": PASSWORD}
    return {cell.field: sample(cell.field, schema().load_fields[cell.field])}


def attempt(world: World, caller: tuple[Api, uuid.UUID | None], cell: Cell,
            refusal: str | None, payload) -> list[str]:
    """Send ``payload`` as the cell says; what went wrong, if anything."""
    api, caller_id = caller
    kind, endpoint = KINDS[cell.endpoint.resource], cell.endpoint
    target = None if endpoint.creates else \
        caller_id if cell.level == "self" else kind.make(world, cell.holds)
    values = {"slug": world.tenant.slug}
    if endpoint.item:
        values[endpoint.item] = target
    path = world.app.url_map.bind("localhost").build(endpoint.name, values)
    state = (lambda: world.count(kind.model)) if target is None else \
        (lambda: world.snapshot(kind.model, target))
    before, refusals = state(), world.refusals()
    response = api.http.open(path, method=endpoint.method, headers=api.headers, json=payload)
    if refusal is None:
        return [] if response.status_code in (200, 201, 202, 204) else \
            [f"{cell}: {response.status_code} {response.json}, expected success"]
    problems = [] if response.status_code == 403 else \
        [f"{cell}: {response.status_code}, expected 403 ({refusal})"]
    if state() != before:
        problems.append(f"{cell}: refused, but the {kind.model.__name__} changed")
    new = [details for key, details in world.refusals().items() if key not in refusals]
    if len(new) != 1 or (refusal == "above" and "above" not in new[0]):
        problems.append(f"{cell}: refused without its audit record ({new})")
    return problems


@pytest.mark.parametrize("caller_kind", list(CALLERS))
def test_write_policy_matrix(app, db, factories, callers, tenant, caller_kind):
    world = World(app, db, factories, callers, tenant)
    held = CALLERS[caller_kind]
    shared = world.caller(caller_kind)
    problems = []
    for cell in cells(app, caller_kind):
        caller = world.caller(caller_kind) if cell.level == "self" else shared
        problems += attempt(world, caller, cell, expected_refusal(cell, held), body(world, cell))
    assert problems == [], "\n".join(problems)


def test_every_write_endpoint_is_classified(app):
    """A write endpoint of a new resource needs a kind here (what its targets hold) or a
    reason it is outside the policy; every body it takes is found, so its fields are tested."""
    endpoints = write_endpoints(app)
    assert {e.resource for e in endpoints} == set(KINDS) | set(OUTSIDE_THE_POLICY) | \
        set(ON_THE_CALLER)
    for endpoint in endpoints:
        if endpoint.resource in KINDS:
            assert endpoint.method in KINDS[endpoint.resource].permission, endpoint
        if (endpoint.method == "PATCH" or endpoint.creates) and \
                endpoint.resource not in ON_THE_CALLER:  # e.g. a new verification link: no body
            assert endpoint.schema is not None and endpoint.schema().load_fields, endpoint


def test_no_write_raises_a_target_above_the_caller(app, db, factories, callers, tenant):
    """The other half: a write that would make a target hold more than the caller (a role,
    a client scope, a role's permissions above their own) is refused too."""
    world = World(app, db, factories, callers, tenant)
    problems, tried = [], 0
    for caller_kind in ("admin", "client"):
        held = CALLERS[caller_kind]
        caller = world.caller(caller_kind)
        for endpoint in write_endpoints(app):
            kind = KINDS.get(endpoint.resource)
            if endpoint.method != "PATCH" or kind is None or kind.holdings_field is None:
                continue
            assert kind.holdings_field in endpoint.schema().load_fields
            targets = levels(kind, held)
            cell = Cell(endpoint, kind.holdings_field, "less", targets["less"])
            raised = {kind.holdings_field: kind.holding(world, targets["more"])}
            problems += attempt(world, caller, cell, "above", raised)
            tried += 1
    assert problems == [], "\n".join(problems)
    assert tried >= 8  # (users, clients, roles, resources) × (admin, client)
