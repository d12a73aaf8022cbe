"""Console: the tenant's settings (owners): name, token lifetimes in human units, sign-up,
passwords, second factors and passkeys, the branding end users see, and dynamic client
registration."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, url_for

from frontend.console.forms import UNITS, SettingsForm
from frontend.console.page import can, console_page
from frontend.feedback import flash_outcome

bp = Blueprint("settings", __name__)
BRANDING = ("display_name", "logo_uri", "primary_color")


def in_units(seconds: int) -> tuple[int, str]:
    """The largest unit that shows ``seconds`` as a whole number (3600 → 1 hour)."""
    for unit in reversed([choice.value for choice in UNITS]):
        if seconds % int(unit) == 0:
            return seconds // int(unit), unit
    return seconds // 60, "60"


def form_data(tenant: dict) -> dict:
    policy = tenant["client_registration_policy"]
    data = {**{k: tenant[k] for k in ("name", "self_signup_enabled", "require_verified_email",
                                      "password_min_length", "dynamic_client_registration",
                                      "mfa_policy", "passkey_sign_in")},
            **{k: (tenant.get("branding") or {}).get(k) for k in BRANDING},
            "registration_grant_types": policy["grant_types"],
            "registration_scope": policy["scope"]}
    for name in ("access_token_lifetime", "refresh_token_lifetime"):
        data[name], data[name.replace("lifetime", "unit")] = in_units(tenant[name])
    return data


@bp.route("/settings", methods=["GET", "POST"])
@console_page
def manage_settings(slug: str):
    if not can("tenant:write"):
        abort(403, "Only owners manage the organisation's settings.")
    tenant = g.console.call("GET", "tenant")
    form = SettingsForm(data=form_data(tenant))
    if form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("PATCH", "tenant", json=settings_body(form)),
            "Settings saved.", form):
        return redirect(url_for(".manage_settings", slug=slug), code=303)
    return render_template("console/settings.html", slug=slug, form=form, tenant=tenant), \
        422 if form.errors else 200


def settings_body(form: SettingsForm) -> dict:
    return {"name": form.name.data,
            "access_token_lifetime": form.seconds("access_token_lifetime"),
            "refresh_token_lifetime": form.seconds("refresh_token_lifetime"),
            "self_signup_enabled": form.self_signup_enabled.data,
            "require_verified_email": form.require_verified_email.data,
            "password_min_length": form.password_min_length.data,
            "mfa_policy": form.mfa_policy.data,
            "passkey_sign_in": form.passkey_sign_in.data,
            "branding": {k: (form[k].data or "").strip() or None for k in BRANDING},
            "dynamic_client_registration": form.dynamic_client_registration.data,
            "client_registration_policy": {"grant_types": form.registration_grant_types.data,
                                           "scope": (form.registration_scope.data or "").strip()}}
