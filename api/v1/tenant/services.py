"""The tenant's settings and deletion, within the write policy, and self-service sign-up (a
new tenant and its owner, throttled per address).

The tenant holds every permission (``policy.TENANT_HOLDS``): only a caller holding all of
them changes or deletes it, whichever settings the request names.
"""
from __future__ import annotations

from api import audit
from api.access import policy
from api.access.caller import Caller
from api.errors import Conflict, DomainError
from api.ratelimit import services as ratelimit
from api.tenancy import services as tenancy
from api.tenancy.models import Tenant

SIGNUPS_PER_IP_PER_HOUR = 10


class SignUpThrottled(DomainError):
    status = 429
    title = "Too Many Requests"


def sign_up_tenant(data: dict, ip: str | None, frontend_url: str) -> Tenant:
    """Create the tenant in ``data`` unless this address has signed up too often."""
    if ratelimit.hit(f"signup-ip:{ip}", 3600) > SIGNUPS_PER_IP_PER_HOUR:
        raise SignUpThrottled("Too many sign-ups from this address; try later.")
    tenant, _ = tenancy.create_tenant(**data, frontend_url=frontend_url,
                                      actor=audit.Actor.anonymous(data["owner_email"]))
    return tenant


def update_tenant(caller: Caller, tenant: Tenant, changes: dict) -> Tenant:
    """Change any of the tenant's settings (read fresh, not from the cache). Requiring
    verified addresses takes a caller whose own is verified (else they would lock
    themselves out)."""
    _check_can_change(caller, tenant)
    tenant = tenancy.fresh(tenant)
    if changes.get("require_verified_email") and not tenant.require_verified_email and \
            caller.user is not None and not caller.user.email_verified:
        raise Conflict("Verify your own email address first (on your account page): "
                       "unverified users could no longer sign in.")
    return tenancy.update_tenant(tenant, changes, caller.actor)


def delete_tenant(caller: Caller, tenant: Tenant) -> None:
    """Soft-delete the tenant: every token is revoked and its issuer answers 404."""
    _check_can_change(caller, tenant)
    tenancy.delete_tenant(tenant, caller.actor)


def _check_can_change(caller: Caller, tenant: Tenant) -> None:
    policy.check_can_change(caller, policy.TENANT_HOLDS, "the tenant", tenant)
