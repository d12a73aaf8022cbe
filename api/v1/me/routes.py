"""``GET {issuer}/api/v1/me`` for user and client tokens."""
from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.tenancy.context import current_tenant
from api.v1.me.schemas import MeSchema
from api.v1.me.services import describe_caller

bp = Blueprint("me", __name__)
me_schema = MeSchema()


@bp.get("/me")
@require_permission()
def get_me():
    return me_schema.dump(describe_caller(current_caller(), current_tenant()))
