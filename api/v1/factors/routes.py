"""``/me/factors`` and ``/me/recovery-codes``: the caller's own second factors."""
from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import PROFILE_READ, PROFILE_WRITE
from api.rest import load_body
from api.tenancy.context import current_tenant
from api.v1.factors import services
from api.v1.factors.schemas import (CodeSchema, FactorsSchema, RecoveryCodesSchema,
                                    TotpEnrolmentSchema)

bp = Blueprint("factors", __name__)
recovery_codes_schema = RecoveryCodesSchema()


@bp.get("/me/factors")
@require_permission(PROFILE_READ)
def list_factors():
    return FactorsSchema().dump(services.describe(current_caller(), current_tenant()))


@bp.post("/me/factors/totp")
@require_permission(PROFILE_WRITE)
def begin_totp():
    """Start adding an authenticator app: not active before its first code is confirmed."""
    return TotpEnrolmentSchema().dump(services.begin_totp(current_caller(), current_tenant()))


@bp.post("/me/factors/totp/confirm")
@require_permission(PROFILE_WRITE)
def confirm_totp():
    """Activate the authenticator app with a first code; returns new recovery codes (once)
    when there were none."""
    codes = services.confirm_totp(current_caller(), current_tenant(),
                                  load_body(CodeSchema())["code"])
    return recovery_codes_schema.dump({"recovery_codes": codes})


@bp.delete("/me/factors/totp")
@require_permission(PROFILE_WRITE)
def remove_totp():
    services.remove_totp(current_caller(), current_tenant())
    return "", 204


@bp.post("/me/recovery-codes")
@require_permission(PROFILE_WRITE)
def regenerate_recovery_codes():
    """Ten new recovery codes, shown once; the old ones stop working."""
    return recovery_codes_schema.dump(
        {"recovery_codes": services.regenerate_recovery_codes(current_caller())}), 201
