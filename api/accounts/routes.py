"""The account endpoints the frontend's public pages call (``X-Frontend-Key`` only).

Under each issuer, beside the sign-in challenge API:

    GET  /sign-in/settings                 what the tenant's pages need to know
    POST /sign-in/password-reset           {email} → 202, the same for every address
    POST /sign-in/password-reset/check     {token} → the address, or 404/410
    POST /sign-in/password-reset/complete  {token, password} → 200, or 404/410/422
    POST /sign-in/email-verification       {token} → 200 (verification or email change)

The end user's address comes in ``X-End-User-IP`` (for throttling).
"""
from flask import Blueprint

from api.accounts import services
from api.accounts.schemas import LinkSchema, ResetRequestSchema, ResetSchema
from api.frontend_key import end_user_ip, frontend_only
from api.rest import load_body
from api.tenancy.context import current_tenant
from api.tenancy.services import fresh, public_view

bp = Blueprint("accounts", __name__, url_prefix="/sign-in")


@bp.get("/settings")
@frontend_only
def get_settings():
    """Read fresh, not from the tenant cache: a switch shows on the pages at once."""
    tenant = fresh(current_tenant())
    return {"tenant": public_view(tenant),
            "self_signup_enabled": tenant.self_signup_enabled,
            "require_verified_email": tenant.require_verified_email,
            "password_min_length": tenant.password_min_length}


@bp.post("/password-reset")
@frontend_only
def request_password_reset():
    data = load_body(ResetRequestSchema())
    return {"detail": services.request_password_reset(current_tenant(), data["email"],
                                                      end_user_ip())}, 202


@bp.post("/password-reset/check")
@frontend_only
def check_reset_link():
    return services.check_reset_link(current_tenant(), load_body(LinkSchema())["token"])


@bp.post("/password-reset/complete")
@frontend_only
def reset_password():
    data = load_body(ResetSchema())
    return services.reset_password(current_tenant(), data["token"], data["password"],
                                   end_user_ip())


@bp.post("/email-verification")
@frontend_only
def confirm_email():
    return services.confirm_email(current_tenant(), load_body(LinkSchema())["token"])
