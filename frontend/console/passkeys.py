"""``/t/<slug>/account/passkeys``: the signed-in user's passkeys on the account page (the
partial ``console/_account_passkeys.html``): add one (the ceremony runs in the browser,
``static/passkeys.js``, between the two JSON endpoints here), rename, remove. A first
passkey comes with recovery codes, shown once on the account page it returns to."""
from __future__ import annotations

import uuid

from flask import Blueprint, flash, g, redirect, request, url_for

from frontend.api_client import ApiError
from frontend.console.page import console_page
from frontend.feedback import flash_outcome, messages_of
from frontend.script_json import posted_object

bp = Blueprint("passkeys", __name__, url_prefix="/t/<slug:slug>/account/passkeys")
#: Where the recovery codes of a first factor wait for the account page (server-side).
RECOVERY_CODES = "passkey_recovery_codes"


@bp.app_template_global()
def own_passkeys() -> list[dict]:
    """The signed-in user's passkeys (a user holds at most 20: one page)."""
    return g.console.call("GET", "me", "passkeys", params={"per_page": 100})["items"]


@bp.app_template_global()
def new_recovery_codes() -> list[str] | None:
    """The recovery codes the last passkey added came with, once (they are shown only
    then)."""
    return g.console.take(RECOVERY_CODES)


def _to_account(slug: str):
    return redirect(url_for("account.manage_account", slug=slug), code=303)


def _json_answer(call):
    """The API's answer as JSON for the page's script; a refusal as ``{"error": ...}``."""
    try:
        return call()
    except ApiError as error:
        return {"error": " ".join(messages_of(error))}, error.status


@bp.post("/options")
@console_page
def begin_registration(slug: str):
    return _json_answer(lambda: g.console.call("POST", "me", "passkeys", "options"))


@bp.post("")
@console_page
def register_passkey(slug: str):
    """The authenticator's answer, for the API to check; the account page is next."""
    body = posted_object()

    def register():
        created = g.console.call("POST", "me", "passkeys", json={
            "name": body.get("name"), "credential": body.get("credential")})
        if created.get("recovery_codes"):
            g.console.stash(RECOVERY_CODES, created["recovery_codes"])
        flash("Passkey added. You can sign in with it from now on.", "success")
        return {"redirect_to": url_for("account.manage_account", slug=slug)}
    return _json_answer(register)


@bp.post("/<uuid:passkey_id>/name")
@console_page
def rename_passkey(slug: str, passkey_id: uuid.UUID):
    flash_outcome(lambda: g.console.call("PATCH", "me", "passkeys", passkey_id,
                                         json={"name": request.form.get("name", "").strip()}),
                  "Passkey renamed.")
    return _to_account(slug)


@bp.post("/<uuid:passkey_id>/remove")
@console_page
def remove_passkey(slug: str, passkey_id: uuid.UUID):
    flash_outcome(lambda: g.console.call("DELETE", "me", "passkeys", passkey_id),
                  "Passkey removed.")
    return _to_account(slug)
