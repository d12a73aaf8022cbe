"""``/t/<slug>/login`` and ``/t/<slug>/consent``: settle a sign-in challenge with the API
(the second factor's pages, between the two, are :mod:`frontend.signin.factors`);
``/t/<slug>/form-post``: hand a form-post authorization response to the client;
``/t/<slug>/device``: where people enter a device's code (RFC 8628 §3.3);
``/t/<slug>/logout``: confirm a sign-out the API could not take on trust.

The pages wear the tenant's branding and speak the language the application asked for
(``ui_locales``) or the browser prefers. Right after a tenant sign-up, the new owner's
first console sign-in is settled without asking for the password again
(:func:`frontend.signup.take_handoff`).

The device page holds no state: its form sends the browser to the API's
``/device/verify``, which parks a challenge for the device and sends the browser
to the login or consent page above, then back here with the outcome.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import (Blueprint, abort, current_app, g, make_response, redirect, render_template,
                   request, url_for)
from flask_babel import lazy_gettext as _l

import identifiers
from frontend import api_client, signup
from frontend.api_client import ApiError
from frontend.app import SECURITY_HEADERS
from frontend.branding import brand, tenant_brand
from frontend.signin.forms import ConsentForm, LoginForm, LogoutForm
from frontend.signin.scopes import describe

bp = Blueprint("signin", __name__, url_prefix="/t/<slug:slug>")
#: API refusals shown on the sign-in form itself (wrong password, address not verified,
#: throttled).
FORM_ERRORS = (401, 403, 429)
#: The page of each step that can follow the password (consent otherwise).
NEXT_STEPS = {"second_factor": "factors.show_second_factor", "enrol": "factors.show_enrolment"}
DEVICE_ERRORS = {
    "invalid_code": _l("That code is not valid, or it has expired or been used. Check the "
                       "code your device shows."),
    "throttled": _l("Too many codes were tried. Wait a few minutes and try again."),
}
DEVICE_RESULTS = {
    "approved": {"title": _l("Device connected"),
                 "text": _l("You can close this page and continue on your device.")},
    "denied": {"title": _l("Access denied"), "text": _l("The device was not given access.")},
    "expired": {"title": _l("Code expired"),
                "text": _l("This code can no longer be used. Start again on your device.")},
}


def challenge_info(slug: str, challenge: str) -> dict:
    """What a sign-in challenge is about (the API's description), or the error page."""
    if not challenge:
        abort(400, "This sign-in link is incomplete; start again from the application.")
    if not identifiers.is_token(challenge):
        abort(400, "This sign-in link is malformed; start again from the application.")
    try:
        info = api_client.get_challenge(slug, challenge)
    except ApiError as error:
        abort(error.status if error.status in (404, 410) else 400, error.message)
    g.ui_locales = info.get("ui_locales")
    return info


def signin_page(template: str, slug: str, info: dict, form, error: str | None = None,
                status: int = 200, **context):
    """A page of the sign-in: the challenge's tenant branding, client and scopes."""
    scopes = [describe(scope) for scope in info["scopes"]]
    return_to = urlsplit(info["client"].get("redirect_uri") or "")
    return render_template(template, slug=slug, info=info, form=form, scopes=scopes,
                           error=error, brand=brand(info["tenant"]),
                           return_host=return_to.hostname, **context), status


def to_api(url: str):
    """Follow the API's ``redirect_to``; never anywhere else (no open redirect)."""
    if not url.startswith(current_app.config["PUBLIC_API_URL"] + "/"):
        abort(502, "The API answered with an unexpected address.")
    return current_app.make_response(redirect(url, code=303))


@bp.get("/login")
def show_login(slug: str):
    challenge = request.args.get("challenge", "")
    info = challenge_info(slug, challenge)
    handoff = signup.take_handoff(slug)
    if handoff and info["client"]["first_party"]:
        result = api_client.log_in(slug, challenge, handoff["email"], handoff["password"],
                                   request.remote_addr)
        response = to_api(result["redirect_to"])
    else:
        response = current_app.make_response(
            signin_page("signin/login.html", slug, info, LoginForm(challenge=challenge)))
    if handoff is not None:
        signup.clear_handoff(response, slug)
    return response


@bp.post("/login")
def log_in(slug: str):
    form = LoginForm()
    info = challenge_info(slug, form.challenge.data or "")
    if not form.validate_on_submit():
        return signin_page("signin/login.html", slug, info, form, status=400)
    try:
        result = api_client.log_in(slug, form.challenge.data, form.email.data,
                                   form.password.data, request.remote_addr)
    except ApiError as error:
        if error.status not in FORM_ERRORS:
            abort(error.status if error.status in (404, 410) else 400, error.message)
        return signin_page("signin/login.html", slug, info, form, error.message, error.status)
    if result.get("redirect_to"):
        return to_api(result["redirect_to"])
    step = NEXT_STEPS.get(result.get("status"), ".show_consent")
    return redirect(url_for(step, slug=slug, challenge=form.challenge.data), code=303)


@bp.get("/consent")
def show_consent(slug: str):
    challenge = request.args.get("challenge", "")
    info = challenge_info(slug, challenge)
    return signin_page("signin/consent.html", slug, info, ConsentForm(challenge=challenge))


@bp.post("/consent")
def decide(slug: str):
    form = ConsentForm()
    info = challenge_info(slug, form.challenge.data or "")
    if not form.validate_on_submit():
        return signin_page("signin/consent.html", slug, info, form, status=400)
    try:
        result = api_client.decide(slug, form.challenge.data, "allow" in request.form,
                                   form.remember.data)
    except ApiError as error:
        abort(error.status if error.status in (404, 409, 410) else 400, error.message)
    return to_api(result["redirect_to"])


@bp.get("/form-post")
def post_response(slug: str):
    """OAuth 2.0 Form Post Response Mode: a page whose form the browser posts to the client
    at once (a tiny static script submits it; the button does without JavaScript)."""
    reference = request.args.get("ref", "")
    if not reference:
        abort(400, "This link is incomplete; start again from the application.")
    try:
        parked = api_client.redeem_form_post(slug, reference)
    except ApiError as error:
        abort(404 if error.status == 404 else 400,
              "This sign-in response was already used or has expired; "
              "start again from the application.")
    action = urlsplit(parked["redirect_uri"])
    if action.scheme not in ("http", "https") or not action.netloc:
        abort(502, "The API answered with an unexpected address.")
    response = make_response(render_template("signin/form_post.html",
                                             action=parked["redirect_uri"],
                                             params=parked["params"]))
    # The form may go to the client's origin only; the page holds a code: never cache it.
    response.headers["Content-Security-Policy"] = (
        f"{SECURITY_HEADERS['Content-Security-Policy']}; "
        f"form-action {action.scheme}://{action.netloc}")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/device")
def show_device(slug: str):
    action = api_client.browser_url(slug, "device", "verify")
    return render_template("signin/device.html", slug=slug, action=action,
                           brand=tenant_brand(slug),
                           user_code=request.args.get("user_code", "")[:16],
                           error=DEVICE_ERRORS.get(request.args.get("error", "")),
                           result=DEVICE_RESULTS.get(request.args.get("result", "")))


@bp.get("/logout")
def show_logout(slug: str):
    """Ask before signing out (RP-Initiated Logout 1.0 §6): the API sends browsers here when
    a sign-out request has no valid ``id_token_hint`` of their session, so that a link or a
    cross-site image alone never signs anyone out."""
    if request.args.get("error"):
        abort(400, "The application's sign-out request was not valid; you are still signed in.")
    parked = request.args.get("request", "")
    if not parked:
        abort(400, "This sign-out link is incomplete; sign out again from the application.")
    info = api_client.describe_logout(slug, parked)
    return render_template("signin/logout.html", slug=slug, info=info,
                           form=LogoutForm(request=parked))


@bp.post("/logout")
def log_out(slug: str):
    """Signed out at the API; back to the application's registered address, or a page
    saying so."""
    form = LogoutForm()
    if not form.validate_on_submit():
        abort(400, "This sign-out form is incomplete; sign out again from the application.")
    result = api_client.confirm_logout(slug, form.request.data)
    return redirect(result.get("redirect_to")
                    or url_for("console.show_signed_out", slug=slug), code=303)
