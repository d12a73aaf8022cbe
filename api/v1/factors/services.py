"""Second-factor use cases of the REST API: the caller's own factors, and an admin's reset
of a user's, within the write policy of :mod:`api.access.policy`."""
from __future__ import annotations

import uuid

from api.access.caller import Caller, deny
from api.mfa import services as mfa
from api.tenancy.models import Tenant
from api.users.models import User
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
    return mfa.describe(tenant, caller.user)


def begin_totp(caller: Caller, tenant: Tenant) -> dict:
    return mfa.begin_totp(tenant, own_user(caller))


def confirm_totp(caller: Caller, tenant: Tenant, code: str) -> list[str]:
    return mfa.confirm_totp(tenant, own_user(caller), code, caller.actor)


def remove_totp(caller: Caller, tenant: Tenant) -> None:
    mfa.remove_totp(tenant, own_user(caller), caller.actor)


def regenerate_recovery_codes(caller: Caller) -> list[str]:
    return mfa.regenerate_recovery_codes(own_user(caller), caller.actor)


def reset(caller: Caller, tenant: Tenant, user_id: uuid.UUID) -> None:
    """users:write over the whole user (an admin never resets an owner's), and an owner's
    last factor stays theirs (:func:`api.mfa.services.reset`)."""
    user = writable_user(caller, user_id)
    mfa.reset(tenant, user, caller.actor, caller.user)
