"""``/roles`` and ``/roles/{id}``."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import ROLES_READ, ROLES_WRITE
from api.rest import PageArgs, listing, load_body
from api.v1.roles import services
from api.v1.roles.schemas import RoleCreateSchema, RoleSchema, RoleUpdateSchema

bp = Blueprint("roles", __name__)
role_schema = RoleSchema()


@bp.get("/roles")
@require_permission(ROLES_READ)
def list_roles():
    return listing(PageArgs(), role_schema, services.list_roles)


@bp.post("/roles")
@require_permission(ROLES_WRITE)
def create_role():
    data = load_body(RoleCreateSchema())
    role = services.create_role(current_caller(), data["name"], data["description"],
                                data["permissions"])
    return role_schema.dump(role), 201


@bp.get("/roles/<uuid:role_id>")
@require_permission(ROLES_READ)
def get_role(role_id: uuid.UUID):
    return role_schema.dump(services.get_role(role_id))


@bp.patch("/roles/<uuid:role_id>")
@require_permission(ROLES_WRITE)
def update_role(role_id: uuid.UUID):
    data = load_body(RoleUpdateSchema())
    return role_schema.dump(services.update_role(current_caller(), role_id, data))


@bp.delete("/roles/<uuid:role_id>")
@require_permission(ROLES_WRITE)
def delete_role(role_id: uuid.UUID):
    services.delete_role(current_caller(), role_id)
    return "", 204
