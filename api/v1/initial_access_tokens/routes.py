"""``/initial-access-tokens`` and ``/initial-access-tokens/{id}`` (admins: clients:write)."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.clients import services as clients
from api.rbac.permissions import CLIENTS_WRITE
from api.rest import PageArgs, listing, load_body
from api.v1.initial_access_tokens import services
from api.v1.initial_access_tokens.schemas import (InitialAccessTokenCreatedSchema,
                                                  InitialAccessTokenCreateSchema,
                                                  InitialAccessTokenSchema)

bp = Blueprint("initial_access_tokens", __name__)
token_schema = InitialAccessTokenSchema()
with_token = InitialAccessTokenCreatedSchema()


@bp.get("/initial-access-tokens")
@require_permission(CLIENTS_WRITE)
def list_initial_access_tokens():
    return listing(PageArgs(), token_schema, clients.list_initial_access_tokens)


@bp.post("/initial-access-tokens")
@require_permission(CLIENTS_WRITE)
def create_initial_access_token():
    data = load_body(InitialAccessTokenCreateSchema())
    row, token = services.create(current_caller(), **data)
    return {**with_token.dump(row), "token": token}, 201


@bp.delete("/initial-access-tokens/<uuid:token_id>")
@require_permission(CLIENTS_WRITE)
def revoke_initial_access_token(token_id: uuid.UUID):
    services.revoke(current_caller(), token_id)
    return "", 204
