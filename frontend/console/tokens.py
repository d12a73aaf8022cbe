"""Console: the grants (sessions and tokens) the user may see, filtered and paged; revoking
one, or every grant of a user or an application at once."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import ngettext

from frontend.api_client import ApiError
from frontend.console.page import can, console_page, query_filters
from frontend.feedback import flash_outcome, messages_of

bp = Blueprint("tokens", __name__)
TOKEN_FILTERS = ("user_id", "client_id", "grant_type")
GRANT_TYPES = {"authorization_code": "Sign-in (authorization code)",
               "refresh_token": "Refreshed", "client_credentials": "Service (client credentials)",
               "urn:ietf:params:oauth:grant-type:device_code": "Device (device code)",
               "urn:ietf:params:oauth:grant-type:token-exchange": "Passed on (token exchange)",
               "password": "Password grant"}


def _back(slug: str):
    """Back to where the form was (a console page of this tenant), else the token list."""
    target = request.form.get("back", "")
    if target.startswith(f"/t/{slug}/console/") and "//" not in target and "\\" not in target:
        return redirect(target, code=303)
    return redirect(url_for(".list_tokens", slug=slug), code=303)


@bp.get("/tokens")
@console_page
def list_tokens(slug: str):
    filters = query_filters(TOKEN_FILTERS)
    grants = g.console.page("tokens", filters)
    clients = g.console.every("clients") if can("clients:read") else []
    return render_template("console/tokens.html", slug=slug, grants=grants, filters=filters,
                           clients=clients, grant_types=GRANT_TYPES)


@bp.post("/tokens/<uuid:grant_id>/revoke")
@console_page
def revoke_token(slug: str, grant_id):
    flash_outcome(lambda: g.console.call("DELETE", "tokens", grant_id), "Access revoked.")
    return _back(slug)


@bp.post("/tokens/revoke-all")
@console_page
def revoke_all(slug: str):
    """Every visible grant of one user or one application."""
    filters = {name: request.form[name] for name in ("user_id", "client_id")
               if request.form.get(name)}
    try:
        count = g.console.call("DELETE", "tokens", params=filters)["revoked"]
    except ApiError as error:
        flash(" ".join(messages_of(error)), "error")
    else:
        flash(ngettext("%(num)d grant revoked.", "%(num)d grants revoked.", count), "success")
    return _back(slug)
