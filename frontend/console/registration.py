"""Console: dynamic client registration: its mode, and the initial access tokens that gate
it (RFC 7591 §3), paged, created and revoked through the API.

A new token is stashed server-side and shown once by the page the POST redirects to, as a
new client secret is.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from frontend.console.forms import InitialAccessTokenForm
from frontend.console.page import can, console_page
from frontend.feedback import flash_outcome

bp = Blueprint("registration", __name__)
STASH = "initial-access-token"


@bp.route("/registration", methods=["GET", "POST"])
@console_page
def manage_registration(slug: str):
    form = InitialAccessTokenForm()
    created = {}
    if form.validate_on_submit() and flash_outcome(
            lambda: created.update(g.console.call("POST", "initial-access-tokens", json={
                "description": (form.description.data or "").strip(),
                "max_uses": None if form.multi_use.data else 1,
                "expires_in": form.seconds()})),
            "Initial access token created.", form):
        g.console.stash(STASH, created["token"])
        return redirect(url_for(".manage_registration", slug=slug), code=303)
    tokens = g.console.page("initial-access-tokens")
    tenant = g.console.call("GET", "tenant") if can("tenant:read") else None
    return render_template("console/registration.html", slug=slug, form=form, tokens=tokens,
                           token=g.console.take(STASH), tenant=tenant), \
        422 if form.errors else 200


@bp.post("/registration/<uuid:token_id>/revoke")
@console_page
def revoke_token(slug: str, token_id):
    flash_outcome(lambda: g.console.call("DELETE", "initial-access-tokens", token_id),
                  "Initial access token revoked.")
    return redirect(url_for(".manage_registration", slug=slug), code=303)
