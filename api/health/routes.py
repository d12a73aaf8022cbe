"""``GET /health`` (liveness, no I/O) and ``GET /health/ready`` (readiness)."""
from flask import Blueprint

from api.errors import problem
from api.health.services import readiness_problems

bp = Blueprint("health", __name__)


@bp.get("/health")
def get_health():
    return {"status": "ok"}


@bp.get("/health/ready")
def get_readiness():
    problems = readiness_problems()
    if problems:
        return problem(503, "Service Unavailable", "; ".join(problems))
    return {"status": "ready"}
