"""Console: applications (OAuth clients), registered by type, edited, rotated and deleted
through the API.

Every write redirects (POST, redirect, GET), so a reload never repeats it; a new secret
is stashed server-side and shown once by the page the browser lands on.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.console.forms import APP_TYPES, ClientEditForm, ClientForm
from frontend.console.page import can, console_page, query_filters
from frontend.feedback import flash_outcome, show_api_errors
from frontend.signin.scopes import describe

bp = Blueprint("clients", __name__)
DISPLAY = ("logo_uri", "client_uri", "policy_uri", "tos_uri")
#: Sign-out and CORS fields that are lists, edited one per line.
LISTS = ("post_logout_redirect_uris", "allowed_cors_origins")


def _scope_catalogue(slug: str) -> dict[str, str]:
    """Every scope a client may be registered for, with what it lets the client do."""
    return {scope: describe(scope) for scope in api_client.discovery(slug)["scopes_supported"]}


def _common_body(form, public: bool) -> dict:
    """What both forms send; a public client always has PKCE, so its box is not sent."""
    body = {"client_name": form.client_name.data.strip(), "scope": " ".join(form.scope.data),
            "redirect_uris": (form.redirect_uris.data or "").split()}
    if not public:
        body["require_pkce"] = form.require_pkce.data
    return body


def _sign_out(form) -> dict:
    """The sign-out and browser access metadata (RP-Initiated and Back-Channel Logout, CORS);
    an emptied field removes the value."""
    return {**{name: (form[name].data or "").split() for name in LISTS},
            "backchannel_logout_uri": (form.backchannel_logout_uri.data or "").strip() or None,
            "backchannel_logout_session_required":
                form.backchannel_logout_session_required.data}


def _display(form, clear: bool) -> dict:
    """The display URIs; on an edit an emptied field removes the value (null)."""
    values = {name: (form[name].data or "").strip() or None for name in DISPLAY}
    return values if clear else {k: v for k, v in values.items() if v}


def _create_body(form: ClientForm) -> dict:
    spec = APP_TYPES[form.app_type.data]
    public = spec["token_endpoint_auth_method"] == "none"
    return {**_common_body(form, public), **_display(form, clear=False), **_sign_out(form),
            "grant_types": form.grant_types.data or spec["grant_types"],
            "token_endpoint_auth_method": spec["token_endpoint_auth_method"]}


def _must_write() -> None:
    if not can("clients:write"):
        abort(403, "Registering and changing applications needs the clients:write permission.")


@bp.get("/clients")
@console_page
def list_clients(slug: str):
    filters = query_filters(("client_name",))
    clients = g.console.page("clients", filters)
    return render_template("console/clients.html", slug=slug, clients=clients, filters=filters)


@bp.route("/clients/new", methods=["GET", "POST"])
@console_page
def new_client(slug: str):
    _must_write()
    catalogue = _scope_catalogue(slug)
    form = ClientForm()
    form.scope.choices = list(catalogue)
    if form.validate_on_submit():
        try:
            created = g.console.call("POST", "clients", json=_create_body(form))
        except ApiError as error:
            show_api_errors(form, error)
        else:
            return _show_secret(slug, created, f"Application {created['client_name']} registered.")
    return render_template("console/client_new.html", slug=slug, form=form,
                           catalogue=catalogue, types=APP_TYPES), 200 if not form.errors else 422


def _show_secret(slug: str, client: dict, message: str):
    """Redirect to the client's page, which shows its new secret (if any) once."""
    if client.get("client_secret"):
        g.console.stash(f"secret:{client['id']}", client["client_secret"])
    flash(message, "success")
    return redirect(url_for(".show_client", slug=slug, client_uuid=client["id"]), code=303)


@bp.route("/clients/<uuid:client_uuid>", methods=["GET", "POST"])
@console_page
def show_client(slug: str, client_uuid):
    client = g.console.call("GET", "clients", client_uuid)
    catalogue = _scope_catalogue(slug)
    form = ClientEditForm(data={**client, **{name: "\n".join(client[name])
                                             for name in ("redirect_uris", *LISTS)},
                                "scope": client["scope"].split()})
    form.scope.choices = list(dict.fromkeys([*catalogue, *client["scope"].split()]))
    if form.validate_on_submit():
        _must_write()
        if flash_outcome(lambda: g.console.call("PATCH", "clients", client_uuid, json={
                **_common_body(form, client["token_endpoint_auth_method"] == "none"),
                **_display(form, clear=True), **_sign_out(form),
                "grant_types": form.grant_types.data}), "Application saved.", form):
            return redirect(url_for(".show_client", slug=slug, client_uuid=client_uuid),
                            code=303)
    issuer = api_client.browser_url(slug)
    return render_template("console/client.html", slug=slug, form=form, client=client,
                           catalogue=catalogue, secret=g.console.take(f"secret:{client_uuid}"),
                           issuer=issuer, metadata=api_client.discovery(slug)), \
        200 if not form.errors else 422


@bp.post("/clients/<uuid:client_uuid>/secret")
@console_page
def rotate_secret(slug: str, client_uuid):
    _must_write()
    rotated = g.console.call("POST", "clients", client_uuid, "secret")
    return _show_secret(slug, rotated, "New secret issued; the old one no longer works.")


@bp.post("/clients/<uuid:client_uuid>/delete")
@console_page
def delete_client(slug: str, client_uuid):
    _must_write()
    if flash_outcome(lambda: g.console.call("DELETE", "clients", client_uuid),
                     "Application deleted; its tokens no longer work."):
        return redirect(url_for(".list_clients", slug=slug), code=303)
    return redirect(url_for(".show_client", slug=slug, client_uuid=client_uuid), code=303)
