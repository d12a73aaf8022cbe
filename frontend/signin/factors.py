"""``/t/<slug>/second-factor``: the sign-in's second step, a code from the authenticator app
or a recovery code; ``/t/<slug>/enrol``: adding an authenticator app during sign-in, for a
user who must have one (the tenant's policy, or the application asked), then the recovery
codes, shown once.

Both settle the same challenge as the login page (:mod:`frontend.signin.routes`); the API
decides which step is next and throttles the codes. The page of recovery codes is the
answer to the confirming POST, not cached (``no-store``): it is the only time they are
shown, and reloading it only says the step is done.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, redirect, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.factors import qr_image
from frontend.signin.forms import EnrolmentForm, SecondFactorForm
from frontend.signin.routes import challenge_info, signin_page, to_api

bp = Blueprint("factors", __name__, url_prefix="/t/<slug:slug>")
#: API refusals shown on the form: a wrong or used code, a code field refused, throttled.
FORM_ERRORS = (401, 422, 429)


def _waiting(slug: str, challenge: str, status: str) -> dict:
    info = challenge_info(slug, challenge)
    if info["status"] != status:
        abort(409, "This sign-in is not at this step; start again from the application.")
    return info


def _next_page(slug: str, challenge: str, result: dict):
    """Where a settled step leads: back to the API, or to the consent page."""
    if result.get("redirect_to"):
        return to_api(result["redirect_to"])
    return redirect(url_for("signin.show_consent", slug=slug, challenge=challenge), code=303)


def _refused(error: ApiError, form, page):
    if error.status not in FORM_ERRORS:
        abort(error.status if error.status in (404, 409, 410) else 400, error.message)
    return page(form, error.message, error.status)


@bp.get("/second-factor")
def show_second_factor(slug: str):
    challenge = request.args.get("challenge", "")
    info = _waiting(slug, challenge, "second_factor")
    return signin_page("signin/second_factor.html", slug, info,
                       SecondFactorForm(challenge=challenge))


@bp.post("/second-factor")
def check_second_factor(slug: str):
    form = SecondFactorForm()
    info = _waiting(slug, form.challenge.data or "", "second_factor")
    recovery = bool(form.recovery_code.data)

    def page(form, error=None, status=400):
        return signin_page("signin/second_factor.html", slug, info, form, error, status)

    if not form.validate_on_submit() or not (form.code.data or recovery):
        return page(form)
    try:
        result = api_client.second_factor(
            slug, form.challenge.data, "recovery_code" if recovery else "totp",
            form.recovery_code.data if recovery else form.code.data, request.remote_addr)
    except ApiError as error:
        return _refused(error, form, page)
    return _next_page(slug, form.challenge.data, result)


def _enrolment_page(slug: str, info: dict, form, error: str | None = None, status: int = 200):
    """The QR code and key of the enrolment (the same until confirmed), and the code form."""
    try:
        started = api_client.begin_enrolment(slug, form.challenge.data)
    except ApiError as refused:
        abort(refused.status if refused.status in (404, 409, 410) else 400, refused.message)
    return signin_page("signin/enrol.html", slug, info, form, error, status,
                       qr=qr_image(started["qr_svg"]), secret=started["secret"])


@bp.get("/enrol")
def show_enrolment(slug: str):
    challenge = request.args.get("challenge", "")
    info = _waiting(slug, challenge, "enrol")
    return _enrolment_page(slug, info, EnrolmentForm(challenge=challenge))


@bp.post("/enrol")
def confirm_enrolment(slug: str):
    form = EnrolmentForm()
    info = _waiting(slug, form.challenge.data or "", "enrol")

    def page(form, error=None, status=400):
        return _enrolment_page(slug, info, form, error, status)

    if not form.validate_on_submit():
        return page(form)
    try:
        result = api_client.confirm_enrolment(slug, form.challenge.data, form.code.data)
    except ApiError as error:
        return _refused(error, form, page)
    continue_to = result.get("redirect_to") or url_for(
        "signin.show_consent", slug=slug, challenge=form.challenge.data)
    if result.get("redirect_to") and not continue_to.startswith(
            current_app.config["PUBLIC_API_URL"] + "/"):
        abort(502, "The API answered with an unexpected address.")
    response = make_response(signin_page("signin/recovery_codes.html", slug, info, form,
                                         codes=result["recovery_codes"],
                                         continue_to=continue_to))
    response.headers["Cache-Control"] = "no-store"
    return response
