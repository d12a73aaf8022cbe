"""The console under ``/t/<slug>/console``: signing in and out, the dashboard, and the
pages of each resource (one blueprint per module, nested here)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from frontend.console import (apis, audit, auth, clients, registration, roles, settings, tokens,
                              users)
from frontend.console.labels import action_label, target_kind
from frontend.console.page import can, console_page

bp = Blueprint("console", __name__, url_prefix="/t/<slug:slug>/console")
for pages in (tokens, clients, apis, registration, users, roles, audit, settings):
    bp.register_blueprint(pages.bp)


@bp.app_context_processor
def console_helpers():
    return {"can": can, "label": action_label, "kind": target_kind}


@bp.get("/login")
def log_in(slug: str):
    return auth.start(slug, request.args.get("next"))


@bp.get("/callback")
def finish_log_in(slug: str):
    return auth.finish(slug)


@bp.post("/logout")
def log_out(slug: str):
    return auth.end(slug)  # CSRFProtect has checked the token of every POST


@bp.get("/account")
def show_account(slug: str):
    """The account page has one home, ``/t/<slug>/account`` (see :mod:`.account`)."""
    return redirect(url_for("account.manage_account", slug=slug), code=301)


@bp.get("/signed-out")
def show_signed_out(slug: str):
    return render_template("console/signed_out.html", slug=slug)


@bp.get("")
@console_page
def show_dashboard(slug: str):
    """Admins: counts, what to do next on a new tenant, recent activity. Everyone: their own
    sessions and the applications they allowed."""
    counts, recent = {}, None
    for name, permission in (("users", "users:read"), ("clients", "clients:read")):
        if can(permission):
            counts[name] = g.console.call("GET", name, params={"per_page": 1})["total"]
    if can("tokens:manage"):
        counts["tokens"] = g.console.call("GET", "tokens", params={"per_page": 1})["total"]
    if can("audit:read"):
        recent = g.console.call("GET", "audit-events", params={"per_page": 8})["items"]
    user = g.me["user"]
    mine = (g.console.call("GET", "tokens", params={"user_id": user["id"], "per_page": 10})
            if user and can("tokens:read") else None)
    next_steps = {"client": counts.get("clients", 2) <= 1 and can("clients:write"),
                  "users": counts.get("users", 2) <= 1 and can("users:write")}
    return render_template("console/dashboard.html", slug=slug, counts=counts, recent=recent,
                           mine=mine, next_steps=next_steps)
