"""The caller's own passkeys (a user's token only; writes within the write policy, like
``PATCH /me``)."""
from __future__ import annotations

import uuid

from api.access.caller import Caller
from api.passkeys import services as passkeys
from api.passkeys.models import Passkey
from api.tenancy.models import Tenant
from api.v1.me.services import own_user


def list_passkeys(caller: Caller):
    return passkeys.list_passkeys(own_user(caller, write=False))


def begin_registration(caller: Caller, tenant: Tenant) -> dict:
    return passkeys.begin_registration(tenant, own_user(caller))


def register(caller: Caller, tenant: Tenant, data: dict) -> tuple[Passkey, list[str]]:
    """The new passkey, and the user's first recovery codes if they had none (shown once)."""
    return passkeys.finish_registration(tenant, own_user(caller), data["credential"],
                                        data["name"], caller.actor)


def rename(caller: Caller, passkey_id: uuid.UUID, name: str) -> Passkey:
    return passkeys.rename(own_user(caller), passkey_id, name, caller.actor)


def remove(caller: Caller, tenant: Tenant, passkey_id: uuid.UUID) -> None:
    passkeys.remove(tenant, own_user(caller), passkey_id, caller.actor)
