"""Console: the tenant's users, created, changed and deleted through the API, and sent a
password-reset mail."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from frontend.console.forms import UserForm
from frontend.console.page import console_page, query_filters
from frontend.feedback import flash_outcome

bp = Blueprint("users", __name__)
#: Filters the list passes through to the API unchanged.
USER_FILTERS = ("email", "role", "active", "page")


def _role_choices() -> list[SelectChoice]:
    roles = g.console.call("GET", "roles", params={"per_page": 100})["items"]
    return [SelectChoice(role["name"], role["name"]) for role in roles]


@bp.route("/users", methods=["GET", "POST"])
@console_page
def manage_users(slug: str):
    form = UserForm()
    form.role.choices = _role_choices()
    if form.validate_on_submit() and flash_outcome(lambda: g.console.call("POST", "users", json={
            "email": form.email.data, "password": form.password.data,
            "role": form.role.data}), f"User {form.email.data} created.", form):
        return redirect(url_for(".manage_users", slug=slug), code=303)
    filters = query_filters(USER_FILTERS)
    users = g.console.call("GET", "users", params={**filters, "per_page": 20})
    return render_template("console/users.html", slug=slug, users=users, form=form,
                           filters=filters, roles=form.role.choices)


@bp.post("/users/<uuid:user_id>")
@console_page
def update_user(slug: str, user_id):
    change = {"role": request.form.get("role")} if "role" in request.form else {
        "is_active": request.form.get("active") == "1"}
    flash_outcome(lambda: g.console.call("PATCH", "users", user_id, json=change),
                  "User updated.")
    return redirect(url_for(".manage_users", slug=slug), code=303)


@bp.post("/users/<uuid:user_id>/delete")
@console_page
def delete_user(slug: str, user_id):
    flash_outcome(lambda: g.console.call("DELETE", "users", user_id), "User deleted.")
    return redirect(url_for(".manage_users", slug=slug), code=303)


@bp.post("/users/<uuid:user_id>/password-reset")
@console_page
def send_password_reset(slug: str, user_id):
    flash_outcome(lambda: g.console.call("POST", "users", user_id, "password-reset"),
                  "Password reset mail sent.")
    return redirect(url_for(".manage_users", slug=slug), code=303)
