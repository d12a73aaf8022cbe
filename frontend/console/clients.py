"""Console: OAuth clients, registered, edited, rotated and deleted through the API."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, url_for

from frontend.api_client import ApiError
from frontend.console.forms import ClientForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome, show_api_errors

bp = Blueprint("clients", __name__)


def client_body(form: ClientForm, public: bool = False) -> dict:
    """The client form as RFC 7591 metadata for the API (a public client always has PKCE,
    so its form has no checkbox to send)."""
    body = {"client_name": form.client_name.data, "grant_types": form.grant_types.data,
            "scope": form.scope.data or "",
            "redirect_uris": (form.redirect_uris.data or "").split()}
    if not public:
        body["require_pkce"] = form.require_pkce.data
    return body


@bp.route("/clients", methods=["GET", "POST"])
@console_page
def manage_clients(slug: str):
    form = ClientForm()
    created = None
    if form.validate_on_submit():
        try:
            created = g.console.call("POST", "clients", json=client_body(form))
            flash(f"Client {created['client_name']} created.", "success")
        except ApiError as error:
            show_api_errors(form, error)
    clients = g.console.call("GET", "clients", params={"per_page": 100})
    return render_template("console/clients.html", slug=slug, form=form, clients=clients,
                           created=created)


@bp.post("/clients/<uuid:client_uuid>/delete")
@console_page
def delete_client(slug: str, client_uuid):
    flash_outcome(lambda: g.console.call("DELETE", "clients", client_uuid), "Client deleted.")
    return redirect(url_for(".manage_clients", slug=slug), code=303)


@bp.route("/clients/<uuid:client_uuid>", methods=["GET", "POST"])
@console_page
def edit_client(slug: str, client_uuid):
    client = g.console.call("GET", "clients", client_uuid)
    form = ClientForm(data={**client, "redirect_uris": "\n".join(client["redirect_uris"])})
    if form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("PATCH", "clients", client_uuid,
                                   json=client_body(form, client["token_endpoint_auth_method"]
                                                    == "none")),
            "Client saved.", form):
        return redirect(url_for(".manage_clients", slug=slug), code=303)
    return render_template("console/client.html", slug=slug, form=form, client=client)


@bp.post("/clients/<uuid:client_uuid>/secret")
@console_page
def rotate_secret(slug: str, client_uuid):
    rotated = g.console.call("POST", "clients", client_uuid, "secret")
    flash("New secret issued; the old one no longer works.", "success")
    clients = g.console.call("GET", "clients", params={"per_page": 100})
    return render_template("console/clients.html", slug=slug, form=ClientForm(formdata=None),
                           clients=clients, created=rotated)
