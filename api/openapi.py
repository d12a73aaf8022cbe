"""The OpenAPI 3 document of the REST API, generated from the marshmallow schemas.

Each REST endpoint is described once in :data:`OPERATIONS` (summary, permission,
request and response schemas, error statuses); paths and parameters come from
the app's URL map, so the document cannot drift from the routes. A test checks
that every route under ``/api/v1`` is described.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app
from marshmallow import Schema, fields

from api.accounts.schemas import EmailChangeSchema, ProfileSchema, SignedUpSchema, SignUpSchema
from api.rest import PageArgs
from api.tenancy.models import SLUG_PATTERN
from api.v1.audit_events.schemas import AuditEventListArgs, AuditEventSchema
from api.v1.clients.schemas import (ClientCreateSchema, ClientListArgs, ClientSchema,
                                    ClientUpdateSchema, ClientWithSecretSchema)
from api.v1.factors.schemas import (CodeSchema, FactorsSchema, RecoveryCodesSchema,
                                    TotpEnrolmentSchema)
from api.v1.initial_access_tokens.schemas import (InitialAccessTokenCreatedSchema,
                                                  InitialAccessTokenCreateSchema,
                                                  InitialAccessTokenSchema)
from api.v1.me.schemas import ApplicationSchema, MeSchema, SessionSchema
from api.v1.passkeys.schemas import (CeremonyOptionsSchema, PasskeyListArgs, PasskeySchema,
                                     RegisteredPasskeySchema, RegistrationSchema, RenameSchema)
from api.v1.projects.schemas import (ProjectCreateSchema, ProjectListArgs, ProjectSchema,
                                     ProjectUpdateSchema)
from api.v1.resources.schemas import (ResourceCreateSchema, ResourceListArgs, ResourceSchema,
                                      ResourceUpdateSchema)
from api.v1.roles.schemas import RoleCreateSchema, RoleSchema, RoleUpdateSchema
from api.v1.tenant.schemas import (TenantCreatedSchema, TenantCreateSchema, TenantSchema,
                                   TenantUpdateSchema)
from api.v1.tokens.schemas import BulkRevokeArgs, GrantListArgs, GrantSchema, RevokedSchema
from api.v1.users.schemas import UserCreateSchema, UserListArgs, UserSchema, UserUpdateSchema

bp = Blueprint("openapi", __name__)


class ProblemSchema(Schema):
    """RFC 9457 problem document."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())
    error = fields.String(metadata={"description": "RFC 6750 error code, on 401/403 from "
                                                   "bearer protection"})


class AcceptedSchema(Schema):
    """A request taken: something (a mail) will happen."""

    detail = fields.String()


@dataclass
class Op:
    summary: str
    permission: str | None = None
    body: type[Schema] | None = None
    args: type[Schema] | None = None
    response: type[Schema] | None = None
    status: int = 200
    listing: bool = False
    errors: tuple[int, ...] = field(default=(400, 401, 403, 404, 422))
    public: bool = False


CONFLICT = (400, 401, 403, 404, 409, 422)
OPERATIONS: dict[str, Op] = {
    "me.get_me": Op("The caller: user or client, tenant, roles, permissions", None,
                    response=MeSchema, errors=(401, 404)),
    "me.update_me": Op("Edit your profile (name, given_name, family_name)", "profile:write",
                       body=ProfileSchema, response=MeSchema),
    "me.change_email": Op("Ask to change your email address; a link to the new one confirms",
                          "profile:write", body=EmailChangeSchema, response=AcceptedSchema,
                          status=202, errors=(400, 401, 403, 404, 409, 422, 429)),
    "me.resend_verification": Op("Mail yourself a new email verification link",
                                 "profile:write", response=AcceptedSchema, status=202,
                                 errors=(401, 403, 404, 409, 429)),
    "factors.list_factors": Op("Your second factors and what the tenant's MFA policy asks",
                               "profile:read", response=FactorsSchema, errors=(401, 403, 404)),
    "factors.begin_totp": Op("Start adding an authenticator app (TOTP): key, otpauth URI, QR "
                             "code", "profile:write", response=TotpEnrolmentSchema,
                             errors=(401, 403, 404, 409)),
    "factors.confirm_totp": Op("Turn the authenticator app on with its first code; new "
                               "recovery codes (shown once) when you had none",
                               "profile:write", body=CodeSchema, response=RecoveryCodesSchema,
                               errors=(400, 401, 403, 404, 409, 422)),
    "factors.remove_totp": Op("Remove your authenticator app (not the last factor the policy "
                              "requires)", "profile:write", status=204,
                              errors=(401, 403, 404, 409)),
    "factors.regenerate_recovery_codes": Op("Ten new recovery codes, shown once (the old "
                                            "ones stop working)", "profile:write",
                                            response=RecoveryCodesSchema, status=201,
                                            errors=(401, 403, 404, 409)),
    "passkeys.list_passkeys": Op("Your passkeys", "profile:read", args=PasskeyListArgs,
                                 response=PasskeySchema, listing=True),
    "passkeys.begin_registration": Op("Begin adding a passkey: WebAuthn creation options "
                                      "for navigator.credentials.create()", "profile:write",
                                      response=CeremonyOptionsSchema, errors=CONFLICT),
    "passkeys.register_passkey": Op("Finish adding a passkey: the browser's credential",
                                    "profile:write", body=RegistrationSchema,
                                    response=RegisteredPasskeySchema, status=201,
                                    errors=CONFLICT),
    "passkeys.rename_passkey": Op("Rename one of your passkeys", "profile:write",
                                  body=RenameSchema, response=PasskeySchema),
    "passkeys.remove_passkey": Op("Remove one of your passkeys (not the last factor the "
                                  "policy requires)", "profile:write", status=204,
                                  errors=(401, 403, 404, 409)),
    "me.list_my_sessions": Op("Your live sign-in sessions (browser, address, signed in, last "
                              "seen; current marks the one your token was issued in)",
                              "profile:read", args=PageArgs, response=SessionSchema,
                              listing=True),
    "me.end_my_sessions": Op("Sign out everywhere: end every session of yours, revoke every "
                             "grant", "profile:write", status=204),
    "me.end_my_session": Op("End one of your sessions (its grants and the applications' "
                            "sessions with it: back-channel logout)", "profile:write",
                            status=204),
    "me.list_my_applications": Op("The applications you allowed (scopes, granted at, last "
                                  "used)", "profile:read", args=PageArgs,
                                  response=ApplicationSchema, listing=True),
    "me.revoke_my_application": Op("Revoke an application: its grants and tokens, and the "
                                   "remembered consent", "profile:write", status=204),
    "user_signup.sign_up": Op("Sign up as a user (404 unless the tenant allows it)",
                              body=SignUpSchema, response=SignedUpSchema, status=201,
                              errors=(400, 404, 409, 422, 429), public=True),
    "tenant_settings.get_tenant": Op("Tenant settings", "tenant:read", response=TenantSchema),
    "tenant_settings.update_tenant": Op("Change tenant settings (owner)", "tenant:write",
                                        body=TenantUpdateSchema, response=TenantSchema),
    "tenant_settings.delete_tenant": Op("Delete the tenant (owner, soft)", "tenant:delete",
                                        status=204),
    "users.list_users": Op("List users", "users:read", args=UserListArgs,
                           response=UserSchema, listing=True),
    "users.create_user": Op("Create a user", "users:write", body=UserCreateSchema,
                            response=UserSchema, status=201, errors=CONFLICT),
    "users.get_user": Op("Read a user (yourself with profile:read)", "users:read",
                         response=UserSchema),
    "users.update_user": Op("Change role, activity, password or profile", "users:write",
                            body=UserUpdateSchema, response=UserSchema, errors=CONFLICT),
    "users.send_password_reset": Op("Mail a user a password-reset link", "users:write",
                                    response=AcceptedSchema, status=202, errors=CONFLICT),
    "users.sign_out_user": Op("Sign out everywhere: revoke every grant and end every "
                              "sign-in session (yourself with profile:write)", "users:write",
                              response=UserSchema, errors=CONFLICT),
    "users.reset_factors": Op("Remove a user's second factors (mailed to them; an owner's "
                              "last factor only by that owner)", "users:write",
                              response=AcceptedSchema, errors=CONFLICT),
    "users.delete_user": Op("Delete a user (soft)", "users:write", status=204,
                            errors=CONFLICT),
    "roles.list_roles": Op("List system and custom roles", "roles:read", args=PageArgs,
                           response=RoleSchema, listing=True),
    "roles.create_role": Op("Create a custom role", "roles:write", body=RoleCreateSchema,
                            response=RoleSchema, status=201, errors=CONFLICT),
    "roles.get_role": Op("Read a role", "roles:read", response=RoleSchema),
    "roles.update_role": Op("Edit a custom role", "roles:write", body=RoleUpdateSchema,
                            response=RoleSchema, errors=CONFLICT),
    "roles.delete_role": Op("Delete a custom role", "roles:write", status=204,
                            errors=CONFLICT),
    "clients.list_clients": Op("List OAuth clients", "clients:read", args=ClientListArgs,
                               response=ClientSchema, listing=True),
    "clients.create_client": Op("Register a client; the secret is shown once",
                                "clients:write", body=ClientCreateSchema,
                                response=ClientWithSecretSchema, status=201),
    "clients.get_client": Op("Read a client", "clients:read", response=ClientSchema),
    "clients.update_client": Op("Edit a client", "clients:write", body=ClientUpdateSchema,
                                response=ClientSchema),
    "clients.rotate_client_secret": Op("Rotate the client secret (shown once)",
                                       "clients:write", response=ClientWithSecretSchema,
                                       errors=CONFLICT),
    "clients.delete_client": Op("Delete a client and its tokens", "clients:write",
                                status=204, errors=CONFLICT),
    "tokens.list_tokens": Op("Active grants: all with tokens:manage, else your own",
                             "tokens:read", args=GrantListArgs, response=GrantSchema,
                             listing=True),
    "tokens.revoke_tokens": Op("Revoke every visible grant of a user or client",
                               "tokens:write", args=BulkRevokeArgs, response=RevokedSchema),
    "tokens.get_token": Op("Read an active grant", "tokens:read", response=GrantSchema),
    "tokens.revoke_token": Op("Revoke a grant and its tokens at once", "tokens:write",
                              status=204),
    "audit.list_audit_events": Op("The security log", "audit:read", args=AuditEventListArgs,
                                  response=AuditEventSchema, listing=True),
    "projects.list_projects": Op("List projects", "projects:read", args=ProjectListArgs,
                                 response=ProjectSchema, listing=True),
    "projects.create_project": Op("Create a project", "projects:write",
                                  body=ProjectCreateSchema, response=ProjectSchema,
                                  status=201),
    "projects.get_project": Op("Read a project", "projects:read", response=ProjectSchema),
    "projects.update_project": Op("Edit a project", "projects:write",
                                  body=ProjectUpdateSchema, response=ProjectSchema),
    "projects.delete_project": Op("Delete a project", "projects:write", status=204),
    "resources.list_resources": Op("The tenant's APIs (RFC 8707 resource identifiers)",
                                   "resources:read", args=ResourceListArgs,
                                   response=ResourceSchema, listing=True),
    "resources.create_resource": Op("Register an API and the scopes it accepts",
                                    "resources:write", body=ResourceCreateSchema,
                                    response=ResourceSchema, status=201, errors=CONFLICT),
    "resources.get_resource": Op("Read an API", "resources:read", response=ResourceSchema),
    "resources.update_resource": Op("Edit an API", "resources:write",
                                    body=ResourceUpdateSchema, response=ResourceSchema,
                                    errors=CONFLICT),
    "resources.delete_resource": Op("Forget an API (issued tokens live on until they expire)",
                                    "resources:write", status=204),
    "initial_access_tokens.list_initial_access_tokens": Op(
        "Initial access tokens for dynamic client registration (values never shown again)",
        "clients:write", args=PageArgs, response=InitialAccessTokenSchema, listing=True),
    "initial_access_tokens.create_initial_access_token": Op(
        "Create an initial access token (shown once)", "clients:write",
        body=InitialAccessTokenCreateSchema, response=InitialAccessTokenCreatedSchema,
        status=201),
    "initial_access_tokens.revoke_initial_access_token": Op(
        "Revoke an initial access token", "clients:write", status=204),
    "signup.sign_up": Op("Sign up: create a tenant and its owner", body=TenantCreateSchema,
                         response=TenantCreatedSchema, status=201,
                         errors=(400, 403, 409, 422, 429), public=True),
}

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
_STATUS_TEXT = {400: "Malformed request", 401: "Missing or invalid bearer token",
                403: "Insufficient permission", 404: "Unknown object or tenant",
                409: "Conflict with the current state", 422: "Validation failed",
                429: "Too many requests"}


def _operation_key(endpoint: str) -> str:
    return ".".join(endpoint.split(".")[-2:])


def build_spec() -> dict:
    """The whole document, for the app in context."""
    spec = APISpec(title="Tessera tenant API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Manage a tenant: users, roles, clients, tokens, "
                                        "audit log, resources (its APIs), initial access "
                                        "tokens and projects."},
                   servers=[{"url": current_app.config["PUBLIC_API_URL"]}])
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer",
                                                   "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for rule in current_app.url_map.iter_rules():
        op = OPERATIONS.get(_operation_key(rule.endpoint))
        if op is None or "/api/v1/" not in rule.rule:
            continue
        method = next(m for m in rule.methods if m not in ("HEAD", "OPTIONS")).lower()
        path = _PARAM.sub(r"{\2}", rule.rule)
        spec.path(path=path, operations={method: _operation(rule, op)})
    return spec.to_dict()


def _operation(rule, op: Op) -> dict:
    parameters = [{"in": "path", "name": name, "required": True,
                   "schema": {"type": "string", "format": "uuid"} if kind == "uuid"
                   else {"type": "string", "pattern": SLUG_PATTERN}}
                  for kind, name in _PARAM.findall(rule.rule)]
    if op.args is not None:
        parameters.append({"in": "query", "schema": op.args})
    responses = {str(status): {"description": _STATUS_TEXT[status],
                               "content": {"application/problem+json": {"schema": "Problem"}}}
                 for status in op.errors}
    if op.status == 204:
        responses["204"] = {"description": "Done"}
    else:
        schema = _page_schema(op.response) if op.listing else op.response
        responses[str(op.status)] = {"description": "OK",
                                     "content": {"application/json": {"schema": schema}}}
    operation = {"summary": op.summary, "parameters": parameters, "responses": responses,
                 "tags": [rule.endpoint.split(".")[-2]]}
    if op.permission:
        operation["description"] = f"Requires the `{op.permission}` permission."
    if not op.public:
        operation["security"] = [{"bearerAuth": []}]
    if op.body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": op.body}}}
    return operation


_pages: dict[type, type] = {}


def _page_schema(item: type[Schema]) -> type[Schema]:
    """``{items, page, per_page, total}`` around ``item``."""
    if item not in _pages:
        _pages[item] = type(f"{item.__name__.removesuffix('Schema')}PageSchema", (Schema,), {
            "items": fields.List(fields.Nested(item)), "page": fields.Integer(),
            "per_page": fields.Integer(), "total": fields.Integer()})
    return _pages[item]


@bp.get("/api/v1/openapi.json")
def get_openapi():
    """The document as JSON, built once per app (it depends on nothing but the app's routes,
    schemas and PUBLIC_API_URL; building it takes tens of milliseconds)."""
    document = current_app.extensions.get("tessera_openapi")
    if document is None:
        document = current_app.extensions["tessera_openapi"] = current_app.json.dumps(
            build_spec())
    return Response(document, mimetype="application/json")
