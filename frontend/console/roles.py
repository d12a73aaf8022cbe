"""Console: system and custom roles, paged; custom ones created and edited through the API."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from frontend.console.forms import RoleForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome

bp = Blueprint("roles", __name__)


@bp.route("/roles", methods=["GET", "POST"])
@console_page
def manage_roles(slug: str):
    form = RoleForm()
    form.permissions.choices = sorted(g.me["permissions"])
    if form.validate_on_submit() and flash_outcome(lambda: g.console.call("POST", "roles", json={
            "name": form.name.data, "description": form.description.data or "",
            "permissions": form.permissions.data}), f"Role {form.name.data} created.", form):
        return redirect(url_for(".manage_roles", slug=slug), code=303)
    roles = g.console.page("roles")
    return render_template("console/roles.html", slug=slug, roles=roles, form=form), \
        422 if form.errors else 200


@bp.post("/roles/<uuid:role_id>")
@console_page
def update_role(slug: str, role_id):
    flash_outcome(lambda: g.console.call("PATCH", "roles", role_id, json={
        "description": request.form.get("description", ""),
        "permissions": request.form.getlist("permissions")}), "Role updated.")
    return redirect(url_for(".manage_roles", slug=slug), code=303)
