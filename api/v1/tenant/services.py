"""Self-service sign-up: a new tenant and its owner, throttled per address."""
from __future__ import annotations

from api import audit
from api.errors import DomainError
from api.ratelimit import services as ratelimit
from api.tenancy.models import Tenant
from api.tenancy.services import create_tenant

SIGNUPS_PER_IP_PER_HOUR = 10


class SignUpThrottled(DomainError):
    status = 429
    title = "Too Many Requests"


def sign_up_tenant(data: dict, ip: str | None, frontend_url: str) -> Tenant:
    """Create the tenant in ``data`` unless this address has signed up too often."""
    if ratelimit.hit(f"signup-ip:{ip}", 3600) > SIGNUPS_PER_IP_PER_HOUR:
        raise SignUpThrottled("Too many sign-ups from this address; try later.")
    tenant, _ = create_tenant(**data, actor=audit.Actor.anonymous(data["owner_email"]),
                              frontend_url=frontend_url)
    return tenant
