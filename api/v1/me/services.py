"""The caller of a request, described from its access token; a user's own account."""
from __future__ import annotations

from api.access.caller import Caller, deny
from api.accounts import services as accounts
from api.tenancy.models import Tenant
from api.users.models import User
from api.v1.users.services import writable_user


def describe_caller(caller: Caller, tenant: Tenant, changed: User | None = None) -> dict:
    """User or client, tenant, roles and the permissions this token actually carries;
    ``changed``: the caller's user as a write just left them (the caller is a snapshot
    taken before it)."""
    user, client = caller.user, caller.client
    return {
        "type": "user" if user else "client",
        "user": changed or user,
        "client": {"id": client.id, "client_id": client.client_id,
                   "client_name": client.client_name},
        "tenant": {"id": tenant.id, "slug": tenant.slug, "name": tenant.name},
        "roles": sorted(user.roles) if user else [],
        "permissions": sorted(caller.permissions),
        "scope": caller.token.scope,
    }


def own_user(caller: Caller, write: bool = True) -> User:
    """The caller's own user; to ``write``, once the write policy lets the caller change
    them (a token narrower than the user holds cannot, as for ``PATCH /users/{id}``)."""
    if caller.user is None:
        raise deny(caller, "Only a user's token has a profile.")
    return writable_user(caller, caller.user.id) if write else caller.user


def update_profile(caller: Caller, changes: dict) -> User:
    return accounts.update_profile(own_user(caller), changes, caller.actor)


def request_email_change(caller: Caller, tenant: Tenant, email: str, password: str,
                         ip: str | None) -> None:
    accounts.request_email_change(tenant, own_user(caller), email, password, ip)


def resend_verification(caller: Caller, tenant: Tenant, ip: str | None) -> None:
    accounts.resend_verification(tenant, own_user(caller), ip)
