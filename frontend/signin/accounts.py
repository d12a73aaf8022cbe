"""Account pages around sign-in, per tenant: sign-up, forgot password, the links mails carry.

    /t/<slug>/signup           create an account (when the tenant allows it), then carry on
                               with the sign-in challenge it came from, if any
    /t/<slug>/forgot-password  ask for a reset link (the same answer for every address)
    /t/<slug>/reset-password   the reset link: choose a new password
    /t/<slug>/verify-email     the verification and email-change links: confirm with a button

Links are only used up by a POST, so a mail scanner that fetches them changes nothing.
The pages wear the tenant's branding and speak the browser's language, like sign-in.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from frontend import api_client
from frontend.api_client import ApiError
from frontend.branding import brand
from frontend.feedback import show_api_errors
from frontend.signin.forms import (ConfirmLinkForm, ForgotPasswordForm, ResetPasswordForm,
                                   SignUpForm)
from frontend.signin.routes import to_api

bp = Blueprint("accounts", __name__, url_prefix="/t/<slug:slug>")
#: API refusals shown on a form rather than as a page of their own.
FORM_ERRORS = (409, 422, 429)


def _tenant(slug: str) -> dict:
    return api_client.sign_in_settings(slug)


def _render(template: str, slug: str, settings: dict, status: int = 200, **context):
    """One of these pages, in the tenant's colours."""
    return render_template(template, slug=slug, settings=settings,
                           brand=brand(settings["tenant"]), **context), status


def _message(slug: str, settings: dict, title: str, message: str, links=(), status: int = 200):
    return _render("signin/message.html", slug, settings, status, title=title,
                   message=message, links=links)


def _sign_in_link(slug: str, challenge: str | None) -> tuple[str, str]:
    if challenge:
        return url_for("signin.show_login", slug=slug, challenge=challenge), _("Back to sign-in")
    return url_for("account.manage_account", slug=slug), _("Sign in to your account")


def _link_page(slug: str, form_class) -> tuple[dict, object]:
    """The tenant's settings and the form of a page a mail link opens (400 without a token)."""
    settings = _tenant(slug)
    form = form_class(token=request.args.get("token", ""))
    if not form.token.data:
        abort(400, _("This link is incomplete; copy the whole address from the mail."))
    return settings, form


def _link_refused(slug: str, settings: dict, error: ApiError, *links):
    """A link that is unknown, used, replaced or expired: a page that says so and what to do."""
    if error.status not in (404, 409, 410):
        raise error
    return _message(slug, settings, _("This link does not work"), error.message,
                    [*links, _sign_in_link(slug, None)], error.status)


def _submit(form, call) -> int | None:
    """Validate ``form`` and make the API ``call``: None when it worked, else the status to
    show the form again with (its errors on it)."""
    if not form.validate_on_submit():
        return 400 if form.is_submitted() else 200
    try:
        call()
    except ApiError as error:
        if error.status not in FORM_ERRORS:
            raise
        show_api_errors(form, error)
        return error.status
    return None


@bp.route("/signup", methods=["GET", "POST"])
def sign_up(slug: str):
    settings = _tenant(slug)
    if not settings["self_signup_enabled"]:
        abort(404, _("This organisation does not offer sign-up; ask its administrator for an "
                     "account."))
    form = SignUpForm(challenge=request.args.get("challenge", ""))
    status = _submit(form, lambda: api_client.sign_up(slug, {
        "email": form.email.data, "password": form.password.data,
        "name": form.name.data or ""}, request.remote_addr))
    if status is None:
        return _continue_after_sign_up(slug, settings, form)
    return _render("signin/signup.html", slug, settings, status, form=form)


def _continue_after_sign_up(slug: str, settings: dict, form: SignUpForm):
    """Carry on with the authorization request the visitor came from, else say what's next."""
    challenge = form.challenge.data
    sent = _("We sent a link to %(email)s to verify your address.", email=form.email.data)
    if challenge and not settings["require_verified_email"]:
        try:
            result = api_client.log_in(slug, challenge, form.email.data, form.password.data,
                                       request.remote_addr)
        except ApiError as error:
            if error.status not in (403, 404, 409, 410):
                raise
        else:
            if result.get("redirect_to"):
                return to_api(result["redirect_to"])
            return redirect(url_for("signin.show_consent", slug=slug, challenge=challenge),
                            code=303)
    if settings["require_verified_email"]:
        sent += " " + _("Follow it, then sign in.")
    return _message(slug, settings, _("Your account is ready"), sent,
                    [_sign_in_link(slug, challenge)], 201)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password(slug: str):
    settings = _tenant(slug)
    form = ForgotPasswordForm(challenge=request.args.get("challenge", ""))
    status = _submit(form, lambda: api_client.request_password_reset(
        slug, form.email.data, request.remote_addr))
    if status is None:
        return _message(slug, settings, _("Check your inbox"),
                        _("If an account exists for that address, we sent it a link to reset "
                          "the password. The link works for 30 minutes."),
                        [_sign_in_link(slug, form.challenge.data)], 202)
    return _render("signin/forgot_password.html", slug, settings, status, form=form)


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password(slug: str):
    settings, form = _link_page(slug, ResetPasswordForm)
    email = ""
    try:
        email = api_client.check_reset_link(slug, form.token.data)["email"]
        if form.validate_on_submit():
            api_client.reset_password(slug, form.token.data, form.password.data,
                                      request.remote_addr)
            return _message(slug, settings, _("Your password is changed"),
                            _("Every session and application that used the old password was "
                              "signed out. Sign in again with the new one."),
                            [_sign_in_link(slug, None)])
    except ApiError as error:
        if error.status not in (422, 429):
            return _link_refused(slug, settings, error, (
                url_for(".forgot_password", slug=slug), _("Ask for a new reset link")))
        show_api_errors(form, error)
    return _render("signin/reset_password.html", slug, settings, 422 if form.errors else 200,
                   form=form, email=email)


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email(slug: str):
    settings, form = _link_page(slug, ConfirmLinkForm)
    if form.validate_on_submit():
        try:
            result = api_client.confirm_email(slug, form.token.data)
        except ApiError as error:
            return _link_refused(slug, settings, error)
        done = (_("%(email)s is verified.", email=result["email"])
                if result["purpose"] == "verify_email"
                else _("Your email address is now %(email)s; sign in with it from now on.",
                       email=result["email"]))
        return _message(slug, settings, _("Email address confirmed"), done,
                        [_sign_in_link(slug, None)])
    return _render("signin/verify_email.html", slug, settings, form=form)
