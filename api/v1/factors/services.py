"""Second-factor use cases of the REST API: the caller's own factors, within the write
policy of :mod:`api.access.policy` (an admin's reset of someone's is
:func:`api.v1.users.services.reset_factors`)."""
from __future__ import annotations

from api.access.caller import Caller, deny
from api.extensions import db
from api.mfa import services as mfa
from api.tenancy.models import Tenant
from api.users.models import User, load_with_permissions
from api.v1.users.services import writable_user


def own_user(caller: Caller) -> User:
    """The caller's own user, once the write policy lets the caller change them (a token
    narrower than the user holds cannot)."""
    if caller.user is None:
        raise deny(caller, "Only a user has second factors.")
    return writable_user(caller, caller.user.id)


def describe(caller: Caller, tenant: Tenant) -> dict:
    if caller.user is None:
        raise deny(caller, "Only a user has second factors.")
    return mfa.describe(tenant, load_with_permissions(caller.user.id))  # the policy reads roles


def begin_totp(caller: Caller, tenant: Tenant) -> dict:
    started = mfa.begin_totp(tenant, own_user(caller))
    db.session.commit()
    return started


def confirm_totp(caller: Caller, tenant: Tenant, code: str) -> list[str]:
    codes = mfa.confirm_totp(tenant, own_user(caller), code, caller.actor)
    db.session.commit()
    return codes


def remove_totp(caller: Caller, tenant: Tenant) -> None:
    mfa.remove_totp(tenant, own_user(caller), caller.actor)


def regenerate_recovery_codes(caller: Caller) -> list[str]:
    return mfa.regenerate_recovery_codes(own_user(caller), caller.actor)
