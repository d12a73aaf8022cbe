"""Console: the tenant's APIs (RFC 8707 resources) that tokens can be asked for, paged,
registered and removed through the API (POST, redirect, GET)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from frontend import api_client
from frontend.console.forms import ResourceForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome

bp = Blueprint("apis", __name__)


@bp.route("/apis", methods=["GET", "POST"])
@console_page
def manage_apis(slug: str):
    form = ResourceForm()
    if form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("POST", "resources", json={
                "identifier": form.identifier.data.strip(), "name": form.name.data.strip(),
                "scope": " ".join((form.scope.data or "").split())}),
            f"API {form.name.data.strip()} registered.", form):
        return redirect(url_for(".manage_apis", slug=slug), code=303)
    resources = g.console.page("resources")
    rest_api = api_client.browser_url(slug, "api", "v1")
    return render_template("console/apis.html", slug=slug, form=form, resources=resources,
                           rest_api=rest_api), 422 if form.errors else 200


@bp.post("/apis/<uuid:resource_id>/delete")
@console_page
def delete_api(slug: str, resource_id):
    flash_outcome(lambda: g.console.call("DELETE", "resources", resource_id), "API removed.")
    return redirect(url_for(".manage_apis", slug=slug), code=303)
