"""Console: the grants the user may see, and revoking them."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from frontend.console.page import console_page

bp = Blueprint("tokens", __name__)


@bp.get("/tokens")
@console_page
def list_tokens(slug: str):
    grants = g.console.call("GET", "tokens", params={"per_page": 100})
    return render_template("console/tokens.html", slug=slug, grants=grants)


@bp.post("/tokens/<uuid:grant_id>/revoke")
@console_page
def revoke_token(slug: str, grant_id):
    g.console.call("DELETE", "tokens", grant_id)
    flash("Access revoked.", "success")
    return redirect(url_for(".list_tokens", slug=slug), code=303)
