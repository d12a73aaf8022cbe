"""``/t/<slug>/account/factors``: the signed-in user's second factors, a section of the
account page (``console/_account_factors.html``).

Adding an authenticator app shows its QR code and key on a page of its own
(``/account/factors/totp``: the same key until it is confirmed), then takes the first
code. New recovery codes, after the first confirmation or when asked for, are stashed
server-side and shown once on the account page the browser is sent back to.
"""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from frontend.console.forms import TotpConfirmForm
from frontend.console.page import console_page
from frontend.factors import qr_image
from frontend.feedback import flash_outcome

bp = Blueprint("account_factors", __name__, url_prefix="/t/<slug:slug>/account/factors")
CODES = "recovery-codes"


@bp.app_context_processor
def second_factors():
    """``second_factors()`` for the account page's section: the API's ``/me/factors`` and
    recovery codes waiting to be shown once."""
    def load() -> dict:
        return {**g.console.call("GET", "me", "factors"),
                "new_codes": g.console.take(CODES)}
    return {"second_factors": load}


def _to_account(slug: str):
    return redirect(url_for("account.manage_account", slug=slug, _anchor="factors"), code=303)


def _enrolment(slug: str, form):
    started = g.console.call("POST", "me", "factors", "totp")
    return render_template("console/totp_enrolment.html", slug=slug, form=form,
                           qr=qr_image(started["qr_svg"]), secret=started["secret"]), \
        422 if form.errors or form.form_errors else 200


@bp.get("/totp")
@console_page
def show_totp_enrolment(slug: str):
    return _enrolment(slug, TotpConfirmForm(formdata=None))


@bp.post("/totp")
@console_page
def confirm_totp(slug: str):
    form = TotpConfirmForm()
    result = {}

    def confirm():
        result.update(g.console.call("POST", "me", "factors", "totp", "confirm",
                                     json={"code": form.code.data}))

    if form.validate_on_submit() and flash_outcome(confirm, "Authenticator app turned on.",
                                                   form):
        if result.get("recovery_codes"):
            g.console.stash(CODES, result["recovery_codes"])
        return _to_account(slug)
    return _enrolment(slug, form)


@bp.post("/totp/remove")
@console_page
def remove_totp(slug: str):
    flash_outcome(lambda: g.console.call("DELETE", "me", "factors", "totp"),
                  "Authenticator app removed.")
    return _to_account(slug)


@bp.post("/recovery-codes")
@console_page
def regenerate_recovery_codes(slug: str):
    result = {}

    def regenerate():
        result.update(g.console.call("POST", "me", "recovery-codes"))

    if flash_outcome(regenerate, "New recovery codes made; the old ones no longer work."):
        g.console.stash(CODES, result["recovery_codes"])
    return _to_account(slug)
