"""``{issuer}/api/v1/me``: who the caller is; a user edits their profile, asks to change
their address, or asks for a new verification link."""
from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.accounts.schemas import EmailChangeSchema, ProfileSchema
from api.frontend_key import end_user_ip
from api.rbac.permissions import PROFILE_WRITE
from api.rest import load_body
from api.tenancy.context import current_tenant
from api.v1.me import services
from api.v1.me.schemas import MeSchema

bp = Blueprint("me", __name__)
me_schema = MeSchema()


@bp.get("/me")
@require_permission()
def get_me():
    return me_schema.dump(services.describe_caller(current_caller(), current_tenant()))


@bp.patch("/me")
@require_permission(PROFILE_WRITE)
def update_me():
    caller = current_caller()
    services.update_profile(caller, load_body(ProfileSchema()))
    return me_schema.dump(services.describe_caller(caller, current_tenant()))


@bp.post("/me/email")
@require_permission(PROFILE_WRITE)
def change_email():
    data = load_body(EmailChangeSchema())
    services.request_email_change(current_caller(), current_tenant(), data["email"],
                                  data["current_password"], end_user_ip())
    return {"detail": f"We sent a link to {data['email']}; your address changes once you "
                      "follow it."}, 202


@bp.post("/me/email-verification")
@require_permission(PROFILE_WRITE)
def resend_verification():
    services.resend_verification(current_caller(), current_tenant(), end_user_ip())
    return {"detail": "We sent you a new verification link."}, 202
