"""``/tenant`` (settings of the caller's tenant) and ``POST /api/v1/tenants`` (sign-up)."""
from flask import Blueprint, current_app

from api import audit
from api.errors import Forbidden
from api.frontend_key import end_user_ip
from api.rbac.guard import current_caller, require_permission
from api.rbac.permissions import TENANT_DELETE, TENANT_READ, TENANT_WRITE
from api.ratelimit import services as ratelimit
from api.rest import load_body
from api.tenancy import services
from api.tenancy.context import current_tenant, issuer_url
from api.tenancy.schemas import (TenantCreatedSchema, TenantCreateSchema, TenantSchema,
                                 TenantUpdateSchema)

bp = Blueprint("tenant_settings", __name__)
signup_bp = Blueprint("signup", __name__)
tenant_schema = TenantSchema()
SIGNUPS_PER_IP_PER_HOUR = 10


@bp.get("/tenant")
@require_permission(TENANT_READ)
def get_tenant():
    return tenant_schema.dump(services.fresh(current_tenant()))


@bp.patch("/tenant")
@require_permission(TENANT_WRITE)
def update_tenant():
    data = load_body(TenantUpdateSchema())
    return tenant_schema.dump(services.update_tenant(services.fresh(current_tenant()), data,
                                                     current_caller().actor))


@bp.delete("/tenant")
@require_permission(TENANT_DELETE)
def delete_tenant():
    services.delete_tenant(current_tenant(), current_caller().actor)
    return "", 204


@signup_bp.post("/api/v1/tenants")
def sign_up():
    """Self-service sign-up: a new tenant and its owner (TENANT_SIGNUP=off disables it)."""
    if not current_app.config["TENANT_SIGNUP"]:
        raise Forbidden("Self-service sign-up is switched off on this server.")
    data = load_body(TenantCreateSchema())
    if ratelimit.hit(f"signup-ip:{end_user_ip()}", 3600) > SIGNUPS_PER_IP_PER_HOUR:
        raise services.SignUpThrottled("Too many sign-ups from this address; try later.")
    tenant, _ = services.create_tenant(**data, actor=audit.Actor("anonymous",
                                                                 label=data["owner_email"]))
    return {**TenantCreatedSchema().dump(tenant), "issuer": issuer_url(tenant)}, 201
