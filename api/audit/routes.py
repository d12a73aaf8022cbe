"""``GET /audit-events``: the append-only security log (admins and owners)."""
from flask import Blueprint

from api.audit.schemas import AuditEventListArgs, AuditEventSchema
from api.audit.services import list_events
from api.rbac.guard import require_permission
from api.rbac.permissions import AUDIT_READ
from api.rest import load_args, page_of, paginate

bp = Blueprint("audit", __name__)


@bp.get("/audit-events")
@require_permission(AUDIT_READ)
def list_audit_events():
    args = load_args(AuditEventListArgs())
    page, per_page = args.pop("page"), args.pop("per_page")
    items, total = paginate(list_events(**args), page, per_page)
    return page_of(AuditEventSchema(), items, total, page, per_page)
