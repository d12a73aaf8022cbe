"""``/clients``, ``/clients/{id}`` and ``POST /clients/{id}/secret``."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import CLIENTS_READ, CLIENTS_WRITE
from api.rest import listing, load_body
from api.v1.clients import services
from api.v1.clients.schemas import (ClientCreateSchema, ClientListArgs, ClientSchema,
                                    ClientUpdateSchema, ClientWithSecretSchema)

bp = Blueprint("clients", __name__)
client_schema = ClientSchema()
with_secret = ClientWithSecretSchema()


@bp.get("/clients")
@require_permission(CLIENTS_READ)
def list_clients():
    return listing(ClientListArgs(), client_schema, services.list_clients)


@bp.post("/clients")
@require_permission(CLIENTS_WRITE)
def create_client():
    data = load_body(ClientCreateSchema())
    client, secret = services.create_client(
        current_caller(), auth_method=data.pop("token_endpoint_auth_method"), **data)
    return {**with_secret.dump(client), "client_secret": secret}, 201


@bp.get("/clients/<uuid:client_uuid>")
@require_permission(CLIENTS_READ)
def get_client(client_uuid: uuid.UUID):
    return client_schema.dump(services.get_client(client_uuid))


@bp.patch("/clients/<uuid:client_uuid>")
@require_permission(CLIENTS_WRITE)
def update_client(client_uuid: uuid.UUID):
    data = load_body(ClientUpdateSchema())
    return client_schema.dump(services.update_client(current_caller(), client_uuid, data))


@bp.post("/clients/<uuid:client_uuid>/secret")
@require_permission(CLIENTS_WRITE)
def rotate_client_secret(client_uuid: uuid.UUID):
    client, secret = services.rotate_secret(current_caller(), client_uuid)
    return {**with_secret.dump(client), "client_secret": secret}


@bp.delete("/clients/<uuid:client_uuid>")
@require_permission(CLIENTS_WRITE)
def delete_client(client_uuid: uuid.UUID):
    services.delete_client(current_caller(), client_uuid)
    return "", 204
