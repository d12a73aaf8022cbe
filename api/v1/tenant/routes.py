"""``/tenant`` (settings of the caller's tenant) and ``POST /api/v1/tenants`` (sign-up)."""
from flask import Blueprint, current_app

from api.access.guard import current_caller, require_permission
from api.errors import Forbidden
from api.frontend_key import end_user_ip
from api.rbac.permissions import TENANT_DELETE, TENANT_READ, TENANT_WRITE
from api.rest import load_body
from api.tenancy.context import current_tenant, issuer_url
from api.tenancy.services import fresh
from api.v1.tenant import services
from api.v1.tenant.schemas import (TenantCreatedSchema, TenantCreateSchema, TenantSchema,
                                   TenantUpdateSchema)

bp = Blueprint("tenant_settings", __name__)
signup_bp = Blueprint("signup", __name__)
tenant_schema = TenantSchema()


@bp.get("/tenant")
@require_permission(TENANT_READ)
def get_tenant():
    return tenant_schema.dump(fresh(current_tenant()))


@bp.patch("/tenant")
@require_permission(TENANT_WRITE)
def update_tenant():
    data = load_body(TenantUpdateSchema())
    return tenant_schema.dump(services.update_tenant(current_caller(), current_tenant(), data))


@bp.delete("/tenant")
@require_permission(TENANT_DELETE)
def delete_tenant():
    services.delete_tenant(current_caller(), current_tenant())
    return "", 204


@signup_bp.post("/api/v1/tenants")
def sign_up():
    """Self-service sign-up: a new tenant and its owner (TENANT_SIGNUP=off disables it)."""
    if not current_app.config["TENANT_SIGNUP"]:
        raise Forbidden("Self-service sign-up is switched off on this server.")
    tenant = services.sign_up_tenant(load_body(TenantCreateSchema()), end_user_ip(),
                                     current_app.config["PUBLIC_FRONTEND_URL"])
    return {**TenantCreatedSchema().dump(tenant), "issuer": issuer_url(tenant)}, 201
