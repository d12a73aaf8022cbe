"""Console: the tenant's users, listed, created, and managed on a page of their own (profile,
role, status, their grants and audit trail, a password-reset mail, sign out everywhere,
resetting their second factors, delete)."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from frontend import api_client
from frontend.console.forms import UserForm
from frontend.console.page import can, console_page, query_filters
from frontend.feedback import flash_outcome

bp = Blueprint("users", __name__)
#: Filters the list passes through to the API unchanged.
USER_FILTERS = ("email", "role", "active")


def assignable_roles() -> list[str]:
    """The roles the signed-in user may give: within their permissions, owner only for owners.
    Without roles:read only the plain ``user`` role is offered (no role list to read)."""
    if not can("roles:read"):
        return ["user"]
    mine = set(g.me["permissions"])
    return [role["name"] for role in g.console.every("roles")
            if set(role["permissions"]) <= mine
            and (role["name"] != "owner" or can("owners:manage"))]


def may_manage(user: dict) -> bool:
    """Whether the signed-in user may change ``user`` (owners are changed only by owners)."""
    return can("users:write") and (user.get("role") != "owner" or can("owners:manage"))


@bp.route("/users", methods=["GET", "POST"])
@console_page
def manage_users(slug: str):
    form = UserForm()
    form.role.choices = assignable_roles() if can("users:write") else []
    if form.validate_on_submit() and flash_outcome(lambda: g.console.call("POST", "users", json={
            "email": form.email.data, "password": form.password.data,
            "role": form.role.data}), f"User {form.email.data} created.", form):
        return redirect(url_for(".manage_users", slug=slug), code=303)
    filters = query_filters(USER_FILTERS)
    users = g.console.page("users", filters)
    roles = [r["name"] for r in g.console.every("roles")] if can("roles:read") else []
    return render_template("console/users.html", slug=slug, users=users, form=form,
                           filters=filters, roles=roles,
                           settings=api_client.sign_in_settings(slug)), \
        422 if form.errors else 200


@bp.get("/users/<uuid:user_id>")
@console_page
def show_user(slug: str, user_id):
    user = g.console.call("GET", "users", user_id)
    grants = g.console.page("tokens", {"user_id": str(user_id)}) if can("tokens:read") else None
    events = None
    if can("audit:read"):
        events = g.console.call("GET", "audit-events",
                                params={"target": str(user_id), "per_page": 10})
    return render_template("console/user.html", slug=slug, user=user, grants=grants,
                           events=events, manageable=may_manage(user),
                           roles=assignable_roles() if may_manage(user) else [])


def _change(slug: str, user_id, call, message: str):
    user = g.console.call("GET", "users", user_id)
    if not may_manage(user):
        abort(403, "Only owners can change owners.")
    flash_outcome(call, message)
    return redirect(url_for(".show_user", slug=slug, user_id=user_id), code=303)


@bp.post("/users/<uuid:user_id>/role")
@console_page
def change_role(slug: str, user_id):
    role = request.form.get("role", "")
    return _change(slug, user_id, lambda: g.console.call(
        "PATCH", "users", user_id, json={"role": role}), f"Role changed to {role}.")


@bp.post("/users/<uuid:user_id>/active")
@console_page
def change_activity(slug: str, user_id):
    active = request.form.get("active") == "1"
    return _change(slug, user_id, lambda: g.console.call(
        "PATCH", "users", user_id, json={"is_active": active}),
        "User activated." if active else "User deactivated; their tokens were revoked.")


@bp.post("/users/<uuid:user_id>/sign-out")
@console_page
def sign_out_everywhere(slug: str, user_id):
    return _change(slug, user_id, lambda: g.console.call("POST", "users", user_id, "sign-out"),
                   "Signed out everywhere: every session and token of this user ended.")


@bp.post("/users/<uuid:user_id>/factors-reset")
@console_page
def reset_factors(slug: str, user_id):
    """Remove the user's second factors (someone who lost their phone and their codes)."""
    return _change(slug, user_id, lambda: g.console.call(
        "POST", "users", user_id, "factors", "reset"),
        "Second factors removed; the user was told by mail.")


@bp.post("/users/<uuid:user_id>/delete")
@console_page
def delete_user(slug: str, user_id):
    user = g.console.call("GET", "users", user_id)
    if not may_manage(user):
        abort(403, "Only owners can delete owners.")
    if flash_outcome(lambda: g.console.call("DELETE", "users", user_id),
                     f"User {user['email']} deleted."):
        return redirect(url_for(".manage_users", slug=slug), code=303)
    return redirect(url_for(".show_user", slug=slug, user_id=user_id), code=303)


@bp.post("/users/<uuid:user_id>/password-reset")
@console_page
def send_password_reset(slug: str, user_id):
    """Mail the user a link to choose a new password (the API's admin-triggered reset)."""
    return _change(slug, user_id, lambda: g.console.call(
        "POST", "users", user_id, "password-reset"),
        "Password-reset mail sent; the link works for 30 minutes.")
