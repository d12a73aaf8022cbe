"""Console: the tenant's settings (owners)."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for

from frontend.console.forms import SettingsForm
from frontend.console.page import can, console_page
from frontend.feedback import flash_outcome

bp = Blueprint("settings", __name__)


@bp.route("/settings", methods=["GET", "POST"])
@console_page
def manage_settings(slug: str):
    if not can("tenant:write"):
        abort(403, "Only owners manage the tenant's settings.")
    tenant = g.console.call("GET", "tenant")
    policy = tenant["client_registration_policy"]
    form = SettingsForm(data={**tenant, "registration_grant_types": policy["grant_types"],
                              "registration_scope": policy["scope"]})
    if form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("PATCH", "tenant", json=settings_body(form)),
            "Settings saved.", form):
        return redirect(url_for(".manage_settings", slug=slug), code=303)
    return render_template("console/settings.html", slug=slug, form=form)


def settings_body(form: SettingsForm) -> dict:
    return {"name": form.name.data, "access_token_lifetime": form.access_token_lifetime.data,
            "refresh_token_lifetime": form.refresh_token_lifetime.data,
            "self_signup_enabled": form.self_signup_enabled.data,
            "require_verified_email": form.require_verified_email.data,
            "password_min_length": form.password_min_length.data,
            "dynamic_client_registration": form.dynamic_client_registration.data,
            "client_registration_policy": {"grant_types": form.registration_grant_types.data,
                                           "scope": form.registration_scope.data or ""}}
