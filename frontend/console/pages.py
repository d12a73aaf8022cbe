"""Console pages for users, roles, audit log, tenant settings and the account."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from frontend.api_client import ApiError
from frontend.console.auth import console_page
from frontend.console.forms import PasswordForm, RoleForm, SettingsForm, UserForm
from frontend.console.routes import bp, can

#: Filters each list page passes through to the API unchanged.
USER_FILTERS = ("email", "role", "active", "page")
AUDIT_FILTERS = ("actor", "action", "since", "until", "page")


def _filters(names) -> dict:
    return {name: request.args[name] for name in names if request.args.get(name)}


def _apply(call, success: str) -> bool:
    """Run one API write; flash its outcome. Returns True when it worked."""
    try:
        call()
    except ApiError as error:
        details = "; ".join(f"{field}: {messages}" for field, messages
                            in error.field_errors.items())
        flash(f"{error.message} {details}".strip(), "error")
        return False
    flash(success, "success")
    return True


def _role_choices() -> list[SelectChoice]:
    roles = g.console.call("GET", "/roles", params={"per_page": 100})["items"]
    return [SelectChoice(role["name"], role["name"]) for role in roles]


@bp.route("/users", methods=["GET", "POST"])
@console_page
def manage_users(slug: str):
    form = UserForm()
    form.role.choices = _role_choices()
    if form.validate_on_submit() and _apply(lambda: g.console.call("POST", "/users", json={
            "email": form.email.data, "password": form.password.data,
            "role": form.role.data}), f"User {form.email.data} created."):
        return redirect(url_for(".manage_users", slug=slug), code=303)
    filters = _filters(USER_FILTERS)
    users = g.console.call("GET", "/users", params={**filters, "per_page": 20})
    return render_template("console/users.html", slug=slug, users=users, form=form,
                           filters=filters, roles=form.role.choices)


@bp.post("/users/<uuid:user_id>")
@console_page
def update_user(slug: str, user_id):
    change = {"role": request.form.get("role")} if "role" in request.form else {
        "is_active": request.form.get("active") == "1"}
    _apply(lambda: g.console.call("PATCH", f"/users/{user_id}", json=change), "User updated.")
    return redirect(url_for(".manage_users", slug=slug), code=303)


@bp.post("/users/<uuid:user_id>/delete")
@console_page
def delete_user(slug: str, user_id):
    _apply(lambda: g.console.call("DELETE", f"/users/{user_id}"), "User deleted.")
    return redirect(url_for(".manage_users", slug=slug), code=303)


@bp.route("/roles", methods=["GET", "POST"])
@console_page
def manage_roles(slug: str):
    form = RoleForm()
    form.permissions.choices = [SelectChoice(p, p) for p in sorted(g.me["permissions"])]
    if form.validate_on_submit() and _apply(lambda: g.console.call("POST", "/roles", json={
            "name": form.name.data, "description": form.description.data or "",
            "permissions": form.permissions.data}), f"Role {form.name.data} created."):
        return redirect(url_for(".manage_roles", slug=slug), code=303)
    roles = g.console.call("GET", "/roles", params={"per_page": 100})
    return render_template("console/roles.html", slug=slug, roles=roles, form=form)


@bp.post("/roles/<uuid:role_id>")
@console_page
def update_role(slug: str, role_id):
    _apply(lambda: g.console.call("PATCH", f"/roles/{role_id}", json={
        "description": request.form.get("description", ""),
        "permissions": request.form.getlist("permissions")}), "Role updated.")
    return redirect(url_for(".manage_roles", slug=slug), code=303)


@bp.get("/audit")
@console_page
def show_audit(slug: str):
    filters = _filters(AUDIT_FILTERS)
    for bound in ("since", "until"):  # a date from the form means midnight UTC
        if bound in filters and len(filters[bound]) == 10:
            filters[bound] += "T00:00:00+00:00"
    events = g.console.call("GET", "/audit-events", params={**filters, "per_page": 25})
    return render_template("console/audit.html", slug=slug, events=events,
                           filters=_filters(AUDIT_FILTERS))


@bp.route("/settings", methods=["GET", "POST"])
@console_page
def manage_settings(slug: str):
    if not can("tenant:write"):
        abort(403, "Only owners manage the tenant's settings.")
    tenant = g.console.call("GET", "/tenant")
    form = SettingsForm(data=tenant)
    if form.validate_on_submit() and _apply(lambda: g.console.call("PATCH", "/tenant", json={
            "name": form.name.data, "access_token_lifetime": form.access_token_lifetime.data,
            "refresh_token_lifetime": form.refresh_token_lifetime.data,
            "self_signup_enabled": form.self_signup_enabled.data}), "Settings saved."):
        return redirect(url_for(".manage_settings", slug=slug), code=303)
    return render_template("console/settings.html", slug=slug, form=form)


@bp.route("/account", methods=["GET", "POST"])
@console_page
def manage_account(slug: str):
    form = PasswordForm()
    user = g.me["user"]
    if user and form.validate_on_submit() and _apply(
            lambda: g.console.call("PATCH", f"/users/{user['id']}",
                                   json={"password": form.password.data}),
            "Password changed; your other sessions were signed out."):
        return redirect(url_for(".manage_account", slug=slug), code=303)
    tokens = g.console.call("GET", "/tokens", params={"per_page": 100})
    return render_template("console/account.html", slug=slug, form=form, tokens=tokens)
