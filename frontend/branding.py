"""A tenant's face on its end-user pages: its name, logo and colour, and its error page.

The colour reaches pages as a tiny stylesheet (``/t/<slug>/brand.css?v=<colour>``), so
the CSP still allows styles only from this origin; the page names the colour it expects,
so a browser's cached copy never outlives a change. Logos are https URLs the API has
checked.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _

from frontend import api_client
from frontend.api_client import ApiError

bp = Blueprint("branding", __name__, url_prefix="/t/<slug:slug>")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def brand(tenant: dict) -> dict:
    """What the page header shows, from the API's ``{slug, name, branding}``."""
    branding = tenant.get("branding") or {}
    return {"slug": tenant["slug"], "name": branding.get("display_name") or tenant["name"],
            "logo_uri": branding.get("logo_uri"), "color": branding.get("primary_color")}


def tenant_brand(slug: str) -> dict:
    """The brand of the tenant ``slug``; 404 when there is no such tenant."""
    try:
        return brand(api_client.public_tenant(slug))
    except ApiError as error:
        abort(404 if error.status in (400, 404) else error.status)


def error_messages() -> dict[str, tuple[str, str]]:
    """Protocol error codes (RFC 6749 §4.1.2.1) in words: a title and what to do."""
    return {
        "invalid_client": (_("This application is not registered"),
                           _("The application that sent you here is unknown to this "
                             "organisation. Contact the application's support.")),
        "invalid_request": (_("This sign-in link is not valid"),
                            _("The application sent an incomplete or invalid sign-in request, "
                              "for example a return address it has not registered. Contact "
                              "the application's support.")),
    }


@bp.get("/brand.css")
def brand_css(slug: str):
    color = tenant_brand(slug)["color"]
    body = f":root {{ --accent: {color}; }}\n" if color and COLOR.match(color) else ""
    # Cacheable only when it is the colour the page asked for (an API process may still
    # hold the tenant as it was a moment ago: TENANT_CACHE_SECONDS).
    current = request.args.get("v", "") == (color or "")[1:]
    return Response(body, mimetype="text/css", headers={
        "Cache-Control": "public, max-age=3600" if current else "no-store"})


@bp.get("/error")
def show_error(slug: str):
    """Where the API sends people for errors it must not send to the application."""
    code = request.args.get("error", "")[:64]
    title, message = error_messages().get(code, (
        _("Sign-in could not start"),
        _("The application's sign-in request could not be accepted. Contact the "
          "application's support.")))
    return render_template("error.html", status=400, title=title, message=message,
                           code=code if re.fullmatch(r"[a-z_]+", code) else None,
                           brand=tenant_brand(slug)), 400
