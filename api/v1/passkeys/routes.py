"""``{issuer}/api/v1/me/passkeys``: the signed-in user's passkeys.

    GET    /me/passkeys               list (paged)
    POST   /me/passkeys/options       begin a registration: creation options for the browser
    POST   /me/passkeys               finish it: {name, credential} → the passkey (201), and
                                      recovery codes (shown once) if the user had none
    PATCH  /me/passkeys/{id}          rename
    DELETE /me/passkeys/{id}          remove
"""
import uuid

from flask import Blueprint

from api.access.guard import current_caller, require_permission
from api.rbac.permissions import PROFILE_READ, PROFILE_WRITE
from api.rest import listing, load_body
from api.tenancy.context import current_tenant
from api.v1.passkeys import services
from api.v1.passkeys.schemas import (PasskeyListArgs, PasskeySchema, RegistrationSchema,
                                     RenameSchema)

bp = Blueprint("passkeys", __name__)
passkey_schema = PasskeySchema()


@bp.get("/me/passkeys")
@require_permission(PROFILE_READ)
def list_passkeys():
    return listing(PasskeyListArgs(), passkey_schema,
                   lambda: services.list_passkeys(current_caller()))


@bp.post("/me/passkeys/options")
@require_permission(PROFILE_WRITE)
def begin_registration():
    return services.begin_registration(current_caller(), current_tenant())


@bp.post("/me/passkeys")
@require_permission(PROFILE_WRITE)
def register_passkey():
    passkey, codes = services.register(current_caller(), current_tenant(),
                                       load_body(RegistrationSchema()))
    return {**passkey_schema.dump(passkey), "recovery_codes": codes}, 201


@bp.patch("/me/passkeys/<uuid:passkey_id>")
@require_permission(PROFILE_WRITE)
def rename_passkey(passkey_id: uuid.UUID):
    return passkey_schema.dump(services.rename(current_caller(), passkey_id,
                                               load_body(RenameSchema())["name"]))


@bp.delete("/me/passkeys/<uuid:passkey_id>")
@require_permission(PROFILE_WRITE)
def remove_passkey(passkey_id: uuid.UUID):
    services.remove(current_caller(), current_tenant(), passkey_id)
    return "", 204
