"""``{issuer}/api/v1/me``: who the caller is; a user edits their profile, asks to change
their address, or asks for a new verification link, and looks after their sign-in sessions
(``/me/sessions``) and the applications they allowed (``/me/applications``)."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.accounts.schemas import EmailChangeSchema, ProfileSchema
from api.frontend_key import end_user_ip
from api.rbac.permissions import PROFILE_READ, PROFILE_WRITE
from api.rest import PageArgs, load_args, load_body, page_of, paginate
from api.tenancy.context import current_tenant
from api.v1.me import applications, services, sessions
from api.v1.me.schemas import ApplicationSchema, MeSchema, SessionSchema

bp = Blueprint("me", __name__)
me_schema = MeSchema()
session_schema = SessionSchema()
application_schema = ApplicationSchema()


@bp.get("/me")
@require_permission()
def get_me():
    return me_schema.dump(services.describe_caller(current_caller(), current_tenant()))


@bp.patch("/me")
@require_permission(PROFILE_WRITE)
def update_me():
    caller = current_caller()
    user = services.update_profile(caller, load_body(ProfileSchema()))
    return me_schema.dump(services.describe_caller(caller, current_tenant(), user))


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


@bp.get("/me/sessions")
@require_permission(PROFILE_READ)
def list_my_sessions():
    caller, args = current_caller(), load_args(PageArgs())
    rows, total = paginate(sessions.live_sessions(caller), args["page"], args["per_page"])
    return page_of(session_schema, [sessions.as_dict(row, caller) for row in rows], total,
                   args["page"], args["per_page"])


@bp.delete("/me/sessions")
@require_permission(PROFILE_WRITE)
def end_my_sessions():
    """Sign out everywhere (as ``POST /users/{id}/sign-out`` on oneself)."""
    sessions.end_all(current_caller())
    return "", 204


@bp.delete("/me/sessions/<uuid:session_id>")
@require_permission(PROFILE_WRITE)
def end_my_session(session_id: uuid.UUID):
    sessions.end_session(current_caller(), session_id)
    return "", 204


@bp.get("/me/applications")
@require_permission(PROFILE_READ)
def list_my_applications():
    args = load_args(PageArgs())
    page, per_page = args["page"], args["per_page"]
    every = applications.applications(current_caller())
    return page_of(application_schema, every[(page - 1) * per_page:page * per_page],
                   len(every), page, per_page)


@bp.delete("/me/applications/<client_id>")
@require_permission(PROFILE_WRITE)
def revoke_my_application(client_id: str):
    applications.revoke(current_caller(), client_id)
    return "", 204
