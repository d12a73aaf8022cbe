"""``/resources`` and ``/resources/{id}``: thin routes, load → one service call → dump."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import RESOURCES_READ, RESOURCES_WRITE
from api.resources import services as resources
from api.rest import listing, load_body
from api.v1.resources import services
from api.v1.resources.schemas import (ResourceCreateSchema, ResourceListArgs, ResourceSchema,
                                      ResourceUpdateSchema)

bp = Blueprint("resources", __name__)
resource_schema = ResourceSchema()


@bp.get("/resources")
@require_permission(RESOURCES_READ)
def list_resources():
    return listing(ResourceListArgs(), resource_schema, resources.list_resources)


@bp.post("/resources")
@require_permission(RESOURCES_WRITE)
def create_resource():
    data = load_body(ResourceCreateSchema())
    return resource_schema.dump(services.create_resource(current_caller(), **data)), 201


@bp.get("/resources/<uuid:resource_id>")
@require_permission(RESOURCES_READ)
def get_resource(resource_id: uuid.UUID):
    return resource_schema.dump(resources.get_resource(resource_id))


@bp.patch("/resources/<uuid:resource_id>")
@require_permission(RESOURCES_WRITE)
def update_resource(resource_id: uuid.UUID):
    data = load_body(ResourceUpdateSchema())
    return resource_schema.dump(services.update_resource(current_caller(), resource_id, data))


@bp.delete("/resources/<uuid:resource_id>")
@require_permission(RESOURCES_WRITE)
def delete_resource(resource_id: uuid.UUID):
    services.delete_resource(current_caller(), resource_id)
    return "", 204
