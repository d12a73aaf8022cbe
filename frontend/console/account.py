"""``/t/<slug>/account``: the signed-in user's own account, the one home for it.

Profile (name, given and family name), the email address (verified or not; a
change is confirmed by a link to the new address and needs the current
password), the password (the current one, the new one twice), where they are signed in (each
session's browser and system, address, since and last seen, this device marked;
each other one can be ended) and the applications they allowed (what each may do, in
words, since when, last used; each revocable), and signing out everywhere. It shares
the console's sign-in; ``/t/<slug>/console/account`` leads here.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontend import api_client
from frontend.console.devices import browser_and_system
from frontend.console.forms import EmailChangeForm, PasswordForm, ProfileForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome
from frontend.signin.scopes import describe

bp = Blueprint("account", __name__, url_prefix="/t/<slug:slug>/account")


def _page(slug: str, **forms):
    user = g.me["user"]
    forms.setdefault("profile_form", ProfileForm(formdata=None, data=user or {}))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    status = 422 if any(form.errors for form in forms.values()) else 200
    minimum = api_client.sign_in_settings(slug)["password_min_length"]
    return render_template("console/account.html", slug=slug, user=user,
                           sessions=_sessions() if user else [],
                           applications=_applications() if user else [],
                           password_min_length=minimum, **forms), status


#: The most sessions and applications the page lists (the API pages by 100 at most).
LISTED = 100


def _sessions() -> list[dict]:
    """The user's sessions, each with its browser and system in words."""
    items = g.console.call("GET", "me", "sessions", params={"per_page": LISTED})["items"]
    return [{**item, "device": _device(item["user_agent"])} for item in items]


def _device(user_agent: str | None) -> str:
    """"Firefox on Windows", as far as the User-Agent says."""
    browser, system = browser_and_system(user_agent)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or _("A browser on %(system)s", system=system)
    return _("Unknown browser")


def _applications() -> list[dict]:
    """The applications the user allowed, each with what it may do in words."""
    items = g.console.call("GET", "me", "applications", params={"per_page": LISTED})["items"]
    return [{**item, "abilities": [describe(scope) for scope in item["scope"].split()]}
            for item in items]


def _done(slug: str):
    return redirect(url_for(".manage_account", slug=slug), code=303)


@bp.get("")
@console_page
def manage_account(slug: str):
    return _page(slug)


@bp.post("/profile")
@console_page
def update_profile(slug: str):
    form = ProfileForm()
    if form.validate_on_submit() and flash_outcome(lambda: g.console.call("PATCH", "me", json={
            "name": form.name.data or "", "given_name": form.given_name.data or "",
            "family_name": form.family_name.data or ""}), "Profile saved.", form):
        return _done(slug)
    return _page(slug, profile_form=form)


@bp.post("/email")
@console_page
def change_email(slug: str):
    form = EmailChangeForm()
    body = {"email": form.email.data, "current_password": form.current_password.data}
    if form.validate_on_submit() and flash_outcome(lambda: g.console.call(
            "POST", "me", "email", json=body,
            headers={"X-End-User-IP": request.remote_addr or ""}),
            f"We sent a link to {form.email.data}; your address changes once you follow it.",
            form):
        return _done(slug)
    return _page(slug, email_form=form)


@bp.post("/verification")
@console_page
def resend_verification(slug: str):
    flash_outcome(lambda: g.console.call("POST", "me", "email-verification",
                                         headers={"X-End-User-IP": request.remote_addr or ""}),
                  "We sent you a new verification link.")
    return _done(slug)


@bp.post("/password")
@console_page
def change_password(slug: str):
    form = PasswordForm()
    user = g.me["user"]
    if user and form.validate_on_submit() and flash_outcome(
            lambda: g.console.call("PATCH", "users", user["id"], json={
                "password": form.password.data,
                "current_password": form.current_password.data}),
            "Password changed; your other sessions were signed out.", form):
        return _done(slug)
    return _page(slug, password_form=form)


@bp.post("/sessions/<uuid:session_id>/end")
@console_page
def end_session(slug: str, session_id: uuid.UUID):
    """Sign another browser out (back-channel logout tells its applications)."""
    flash_outcome(lambda: g.console.call("DELETE", "me", "sessions", session_id),
                  _("Session ended; that device is signed out."))
    return _done(slug)


@bp.post("/applications/<client_id>/revoke")
@console_page
def revoke_application(slug: str, client_id: str):
    flash_outcome(lambda: g.console.call("DELETE", "me", "applications", client_id),
                  _("Access revoked; the application must ask you again."))
    return _done(slug)


@bp.post("/sign-out-everywhere")
@console_page
def sign_out_everywhere(slug: str):
    flash_outcome(lambda: g.console.call("DELETE", "me", "sessions"),
                  _("Signed out everywhere."))
    return redirect(url_for("console.log_in", slug=slug), code=303)
