"""``GET {issuer}/api/v1/me`` for user and client tokens."""
from flask import Blueprint

from api.me.schemas import MeSchema
from api.me.services import describe_caller
from api.rbac.guard import current_caller, require_permission
from api.tenancy.context import current_tenant

bp = Blueprint("me", __name__)


@bp.get("/me")
@require_permission()
def get_me():
    return MeSchema().dump(describe_caller(current_caller(), current_tenant()))
