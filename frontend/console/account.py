"""Console: the signed-in user's own account (password, the apps they granted)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from frontend.console.forms import PasswordForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome

bp = Blueprint("account", __name__)


@bp.route("/account", methods=["GET", "POST"])
@console_page
def manage_account(slug: str):
    form = PasswordForm()
    user = g.me["user"]
    if user and form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("PATCH", "users", user["id"],
                                   json={"password": form.password.data}),
            "Password changed; your other sessions were signed out.", form):
        return redirect(url_for(".manage_account", slug=slug), code=303)
    tokens = g.console.call("GET", "tokens", params={"per_page": 100})
    return render_template("console/account.html", slug=slug, form=form, tokens=tokens)
