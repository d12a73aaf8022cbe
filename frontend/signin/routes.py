"""``/t/<slug>/login`` and ``/t/<slug>/consent``: settle a sign-in challenge with the API."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.signin.forms import ConsentForm, LoginForm
from frontend.signin.scopes import describe

bp = Blueprint("signin", __name__, url_prefix="/t/<slug>")
#: API refusals shown on the sign-in form itself (wrong password, throttled).
FORM_ERRORS = (401, 429)


def _challenge(slug: str, challenge: str) -> dict:
    if not challenge:
        abort(400, "This sign-in link is incomplete; start again from the application.")
    try:
        return api_client.get_challenge(slug, challenge)
    except ApiError as error:
        abort(error.status if error.status in (404, 410) else 400, error.message)


def _page(template: str, slug: str, info: dict, form, error: str | None = None,
          status: int = 200):
    scopes = [describe(scope) for scope in info["scopes"]]
    return render_template(template, slug=slug, info=info, form=form, scopes=scopes,
                           error=error), status


def _to_api(url: str):
    """Follow the API's ``redirect_to``; never anywhere else (no open redirect)."""
    if not url.startswith(current_app.config["PUBLIC_API_URL"] + "/"):
        abort(502, "The API answered with an unexpected address.")
    return redirect(url, code=303)


@bp.get("/login")
def show_login(slug: str):
    challenge = request.args.get("challenge", "")
    info = _challenge(slug, challenge)
    return _page("signin/login.html", slug, info, LoginForm(challenge=challenge))


@bp.post("/login")
def log_in(slug: str):
    form = LoginForm()
    info = _challenge(slug, form.challenge.data or "")
    if not form.validate_on_submit():
        return _page("signin/login.html", slug, info, form, status=400)
    try:
        result = api_client.log_in(slug, form.challenge.data, form.email.data,
                                   form.password.data, request.remote_addr)
    except ApiError as error:
        if error.status not in FORM_ERRORS:
            abort(error.status if error.status in (404, 410) else 400, error.message)
        return _page("signin/login.html", slug, info, form, error.message, error.status)
    if result.get("redirect_to"):
        return _to_api(result["redirect_to"])
    return redirect(url_for(".show_consent", slug=slug, challenge=form.challenge.data),
                    code=303)


@bp.get("/consent")
def show_consent(slug: str):
    challenge = request.args.get("challenge", "")
    info = _challenge(slug, challenge)
    return _page("signin/consent.html", slug, info, ConsentForm(challenge=challenge))


@bp.post("/consent")
def decide(slug: str):
    form = ConsentForm()
    info = _challenge(slug, form.challenge.data or "")
    if not form.validate_on_submit():
        return _page("signin/consent.html", slug, info, form, status=400)
    try:
        result = api_client.decide(slug, form.challenge.data, "allow" in request.form,
                                   form.remember.data)
    except ApiError as error:
        abort(error.status if error.status in (404, 409, 410) else 400, error.message)
    return _to_api(result["redirect_to"])
