"""``/tokens`` and ``/tokens/{id}``: active grants; DELETE revokes."""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import TOKENS_READ, TOKENS_WRITE
from api.rest import count_rows, load_args, page_of, rows_page
from api.v1.tokens import services
from api.v1.tokens.schemas import BulkRevokeArgs, GrantListArgs, GrantSchema

bp = Blueprint("tokens", __name__)
grant_schema = GrantSchema()


@bp.get("/tokens")
@require_permission(TOKENS_READ)
def list_tokens():
    args = load_args(GrantListArgs())
    page, per_page = args.pop("page"), args.pop("per_page")
    statement = services.list_grants(current_caller(), **args)
    rows = [services.as_dict(row) for row in rows_page(statement, page, per_page)]
    return page_of(grant_schema, rows, count_rows(statement), page, per_page)


@bp.delete("/tokens")
@require_permission(TOKENS_WRITE)
def revoke_tokens():
    """Bulk revocation: every visible grant of a user, a client, or both."""
    return {"revoked": services.revoke_matching(current_caller(),
                                                **load_args(BulkRevokeArgs()))}


@bp.get("/tokens/<uuid:grant_id>")
@require_permission(TOKENS_READ)
def get_token(grant_id: uuid.UUID):
    return grant_schema.dump(services.as_dict(services.get_grant(current_caller(), grant_id)))


@bp.delete("/tokens/<uuid:grant_id>")
@require_permission(TOKENS_WRITE)
def revoke_token(grant_id: uuid.UUID):
    services.revoke(current_caller(), grant_id)
    return "", 204
