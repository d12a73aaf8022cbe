"""Passkeys on the sign-in pages: ``/t/<slug>/login/passkey`` signs in with a passkey alone
where the tenant allows it (the login page's "Sign in with a passkey"), and
``/t/<slug>/second-factor/passkey`` answers the second step after the password with one.

The ceremony runs in the browser (``static/passkeys.js``): it posts the sign-in challenge
to the ``…/options`` endpoint for WebAuthn request options, then the authenticator's
answer to the other, which settles the challenge with the API and says where the browser
goes next. All four speak JSON; a refusal is ``{"error": ...}`` in the page's language.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import lazy_gettext as _l

from frontend import api_client
from frontend.api_client import ApiError
from frontend.script_json import posted_object

bp = Blueprint("passkey_sign_in", __name__, url_prefix="/t/<slug:slug>")
REFUSED = _l("That passkey could not be used to sign in. Try again, or use your password.")
ERRORS = {
    403: _l("Verify your email address before you sign in: we sent you a link."),
    404: _l("This sign-in request has ended, or signing in with a passkey is not offered "
            "here. Start again from the application."),
    409: _l("This sign-in request is already settled. Start again from the application."),
    410: _l("This sign-in request has expired. Start again from the application."),
    429: _l("Too many sign-in attempts; try again in a few minutes."),
}


def _posted() -> tuple[str, dict]:
    """The sign-in challenge and the rest of the JSON body the script posts."""
    body = posted_object()
    return str(body.get("challenge", "")), body


def _answer(call):
    """``call()``'s answer as JSON; the API's refusal as a message for the person."""
    try:
        return call()
    except ApiError as error:
        return {"error": str(ERRORS.get(error.status, REFUSED))}, error.status


def _next(slug: str, challenge: str, result: dict) -> dict:
    """Where the browser goes once the challenge is settled: back to the API (never
    anywhere else), or to the consent page."""
    redirect_to = result.get("redirect_to")
    if redirect_to and not redirect_to.startswith(current_app.config["PUBLIC_API_URL"] + "/"):
        abort(502, "The API answered with an unexpected address.")
    return {"redirect_to": redirect_to or url_for("signin.show_consent", slug=slug,
                                                  challenge=challenge)}


@bp.post("/login/passkey/options")
def begin_passkey_sign_in(slug: str):
    challenge, _ = _posted()
    return _answer(lambda: api_client.passkey_options(slug, challenge))


@bp.post("/login/passkey")
def log_in_with_passkey(slug: str):
    challenge, body = _posted()
    return _answer(lambda: _next(slug, challenge, api_client.log_in_with_passkey(
        slug, challenge, body.get("credential"), request.remote_addr)))


def _second_step_options(slug: str, challenge: str) -> dict:
    options = api_client.get_challenge(slug, challenge).get("factor_options", {})
    if "passkey" not in options:
        raise ApiError(409, {"detail": "This sign-in is not waiting for a passkey."})
    return options["passkey"]


@bp.post("/second-factor/passkey/options")
def begin_passkey_second_step(slug: str):
    challenge, _ = _posted()
    return _answer(lambda: _second_step_options(slug, challenge))


@bp.post("/second-factor/passkey")
def check_passkey_second_step(slug: str):
    challenge, body = _posted()
    return _answer(lambda: _next(slug, challenge, api_client.second_factor_passkey(
        slug, challenge, body.get("credential"), request.remote_addr)))
