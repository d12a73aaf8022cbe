"""``/users`` and ``/users/{id}``."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import USERS_READ, USERS_WRITE
from api.rest import listing, load_body
from api.tenancy.context import current_tenant
from api.v1.users import services
from api.v1.users.schemas import UserCreateSchema, UserListArgs, UserSchema, UserUpdateSchema

bp = Blueprint("users", __name__)
user_schema = UserSchema()


@bp.get("/users")
@require_permission(USERS_READ)
def list_users():
    return listing(UserListArgs(), user_schema, services.list_users)


@bp.post("/users")
@require_permission(USERS_WRITE)
def create_user():
    data = load_body(UserCreateSchema())
    user = services.create_user(current_caller(), current_tenant(), data["email"],
                                data["password"], data["role"])
    return user_schema.dump(user), 201


@bp.get("/users/<uuid:user_id>")
@require_permission()
def get_user(user_id: uuid.UUID):
    return user_schema.dump(services.read_user(current_caller(), user_id))


@bp.patch("/users/<uuid:user_id>")
@require_permission()
def update_user(user_id: uuid.UUID):
    data = load_body(UserUpdateSchema())
    return user_schema.dump(services.update_user(current_caller(), current_tenant(), user_id,
                                                 data))


@bp.post("/users/<uuid:user_id>/password-reset")
@require_permission(USERS_WRITE)
def send_password_reset(user_id: uuid.UUID):
    services.send_password_reset(current_caller(), current_tenant(), user_id)
    return {"detail": "We mailed the user a link to choose a new password."}, 202


@bp.post("/users/<uuid:user_id>/factors/reset")
@require_permission(USERS_WRITE)
def reset_factors(user_id: uuid.UUID):
    """Remove every second factor of a user (audited, mailed to them)."""
    services.reset_factors(current_caller(), current_tenant(), user_id)
    return {"detail": "The user's second factors were removed; we mailed them."}, 200


@bp.post("/users/<uuid:user_id>/sign-out")
@require_permission()
def sign_out_user(user_id: uuid.UUID):
    """Sign out everywhere: every grant revoked, every API sign-in session ended."""
    return user_schema.dump(services.sign_out_everywhere(current_caller(), user_id))


@bp.delete("/users/<uuid:user_id>")
@require_permission(USERS_WRITE)
def delete_user(user_id: uuid.UUID):
    services.delete_user(current_caller(), user_id)
    return "", 204
