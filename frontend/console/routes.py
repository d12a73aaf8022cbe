"""Console pages under ``/t/<slug>/console``; each shows only what the user's role allows."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from frontend.api_client import ApiError
from frontend.console import auth
from frontend.console.auth import console_page
from frontend.console.forms import ClientForm

bp = Blueprint("console", __name__, url_prefix="/t/<slug>/console")


def can(permission: str) -> bool:
    return permission in g.me["permissions"]


@bp.app_context_processor
def console_helpers():
    return {"can": can}


@bp.get("/login")
def log_in(slug: str):
    return auth.start(slug)


@bp.get("/callback")
def finish_log_in(slug: str):
    return auth.finish(slug)


@bp.post("/logout")
def log_out(slug: str):
    return auth.end(slug)  # CSRFProtect has checked the token of every POST


@bp.get("/signed-out")
def show_signed_out(slug: str):
    return render_template("console/signed_out.html", slug=slug)


@bp.get("")
@console_page
def show_dashboard(slug: str):
    counts, recent = {}, []
    for name, permission in (("users", "users:read"), ("clients", "clients:read"),
                             ("tokens", "tokens:read")):
        if can(permission):
            counts[name] = g.console.call("GET", f"/{name}", params={"per_page": 1})["total"]
    if can("audit:read"):
        recent = g.console.call("GET", "/audit-events", params={"per_page": 10})["items"]
    return render_template("console/dashboard.html", slug=slug, counts=counts, recent=recent)


@bp.get("/tokens")
@console_page
def list_tokens(slug: str):
    grants = g.console.call("GET", "/tokens", params={"per_page": 100})
    return render_template("console/tokens.html", slug=slug, grants=grants)


@bp.post("/tokens/<uuid:grant_id>/revoke")
@console_page
def revoke_token(slug: str, grant_id):
    g.console.call("DELETE", f"/tokens/{grant_id}")
    flash("Access revoked.", "success")
    return redirect(url_for(".list_tokens", slug=slug), code=303)


@bp.route("/clients", methods=["GET", "POST"])
@console_page
def manage_clients(slug: str):
    form = ClientForm()
    created = None
    if form.validate_on_submit():
        try:
            created = g.console.call("POST", "/clients", json={
                "client_name": form.client_name.data, "grant_types": form.grant_types.data,
                "scope": form.scope.data or "",
                "redirect_uris": (form.redirect_uris.data or "").split()})
            flash(f"Client {created['client_name']} created.", "success")
        except ApiError as error:
            show_api_errors(form, error)
    clients = g.console.call("GET", "/clients", params={"per_page": 100})
    return render_template("console/clients.html", slug=slug, form=form, clients=clients,
                           created=created)


def show_api_errors(form, error: ApiError) -> None:
    """The API's problem document on the page: a flash, and messages under the fields."""
    flash(error.message, "error")
    for field, messages in error.field_errors.items():
        if field in form:
            form[field].errors = list(_flatten(messages))


def _flatten(messages):
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flatten(value)
    else:
        yield from (str(m) for m in messages)


@bp.post("/clients/<uuid:client_uuid>/delete")
@console_page
def delete_client(slug: str, client_uuid):
    try:
        g.console.call("DELETE", f"/clients/{client_uuid}")
        flash("Client deleted.", "success")
    except ApiError as error:
        flash(error.message, "error")
    return redirect(url_for(".manage_clients", slug=slug), code=303)


@bp.route("/clients/<uuid:client_uuid>", methods=["GET", "POST"])
@console_page
def edit_client(slug: str, client_uuid):
    client = g.console.call("GET", f"/clients/{client_uuid}")
    form = ClientForm(data={**client, "redirect_uris": "\n".join(client["redirect_uris"])})
    if form.validate_on_submit():
        try:
            g.console.call("PATCH", f"/clients/{client_uuid}", json={
                "client_name": form.client_name.data, "grant_types": form.grant_types.data,
                "scope": form.scope.data or "",
                "redirect_uris": (form.redirect_uris.data or "").split()})
            flash("Client saved.", "success")
            return redirect(url_for(".manage_clients", slug=slug), code=303)
        except ApiError as error:
            show_api_errors(form, error)
    return render_template("console/client.html", slug=slug, form=form, client=client)


@bp.post("/clients/<uuid:client_uuid>/secret")
@console_page
def rotate_secret(slug: str, client_uuid):
    rotated = g.console.call("POST", f"/clients/{client_uuid}/secret")
    flash("New secret issued; the old one no longer works.", "success")
    clients = g.console.call("GET", "/clients", params={"per_page": 100})
    return render_template("console/clients.html", slug=slug, form=ClientForm(formdata=None),
                           clients=clients, created=rotated)
