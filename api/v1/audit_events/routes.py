"""``GET /audit-events``: the append-only security log (admins and owners)."""
from flask import Blueprint

from api.access.guard import require_permission
from api.audit.services import list_events
from api.rbac.permissions import AUDIT_READ
from api.rest import listing
from api.v1.audit_events.schemas import AuditEventListArgs, AuditEventSchema

bp = Blueprint("audit", __name__)


@bp.get("/audit-events")
@require_permission(AUDIT_READ)
def list_audit_events():
    return listing(AuditEventListArgs(), AuditEventSchema(), list_events)
