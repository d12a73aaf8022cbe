"""Console: dynamic client registration: its mode, and the initial access tokens that gate
it (RFC 7591 §3)."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from frontend.api_client import ApiError
from frontend.console.forms import InitialAccessTokenForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome, show_api_errors

bp = Blueprint("registration", __name__)


@bp.route("/registration", methods=["GET", "POST"])
@console_page
def manage_registration(slug: str):
    form = InitialAccessTokenForm()
    created = None
    if form.validate_on_submit():
        try:  # the token is shown on this answer only, as a client secret is
            created = g.console.call("POST", "initial-access-tokens", json={
                "description": form.description.data or "",
                "max_uses": None if form.multi_use.data else 1,
                "expires_in": form.expires_in.data})
            flash("Initial access token created.", "success")
        except ApiError as error:
            show_api_errors(form, error)
    tokens = g.console.call("GET", "initial-access-tokens", params={"per_page": 100})
    tenant = g.console.call("GET", "tenant") if "tenant:read" in g.me["permissions"] else None
    return render_template("console/registration.html", slug=slug, form=form, tokens=tokens,
                           created=created, tenant=tenant)


@bp.post("/registration/<uuid:token_id>/revoke")
@console_page
def revoke_token(slug: str, token_id):
    flash_outcome(lambda: g.console.call("DELETE", "initial-access-tokens", token_id),
                  "Initial access token revoked.")
    return redirect(url_for(".manage_registration", slug=slug), code=303)
