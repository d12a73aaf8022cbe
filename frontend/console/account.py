"""``/t/<slug>/account``: the signed-in user's own account, the one home for it.

Profile (name, given and family name), the email address (verified or not; a
change is confirmed by a link to the new address and needs the current
password), the password (the current one, the new one twice), their sessions
and the applications they allowed (paged, each revocable), and signing out
everywhere. It shares the console's sign-in; ``/t/<slug>/console/account``
leads here.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for

from frontend import api_client
from frontend.console.forms import EmailChangeForm, PasswordForm, ProfileForm
from frontend.console.page import console_page
from frontend.feedback import flash_outcome

bp = Blueprint("account", __name__, url_prefix="/t/<slug:slug>/account")


def _page(slug: str, **forms):
    user = g.me["user"]
    forms.setdefault("profile_form", ProfileForm(formdata=None, data=user or {}))
    forms.setdefault("email_form", EmailChangeForm(formdata=None))
    forms.setdefault("password_form", PasswordForm(formdata=None))
    grants = g.console.page("tokens", {"user_id": user["id"]} if user else {})
    status = 422 if any(form.errors for form in forms.values()) else 200
    minimum = api_client.sign_in_settings(slug)["password_min_length"]
    return render_template("console/account.html", slug=slug, grants=grants, user=user,
                           password_min_length=minimum, **forms), status


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


@bp.post("/sign-out-everywhere")
@console_page
def sign_out_everywhere(slug: str):
    user = g.me["user"]
    flash_outcome(lambda: g.console.call("POST", "users", user["id"], "sign-out"),
                  "Signed out everywhere.")
    return redirect(url_for("console.log_in", slug=slug), code=303)
