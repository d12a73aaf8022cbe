"""``/signup``: create a tenant and its owner through the API, then sign the owner in.

The owner has just typed their password, so their first console sign-in does not ask
again: the credentials wait server-side (the console session store) for two minutes
under a random id held in a cookie scoped to the tenant's sign-in page, which uses and
deletes them once (:func:`take_handoff`) for the console's own sign-in only.
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.console import sessions
from frontend.console.forms import SignUpForm
from frontend.feedback import show_api_errors

bp = Blueprint("signup", __name__)
HANDOFF_COOKIE = "tessera_signup"
HANDOFF_SECONDS = 120


@bp.route("/signup", methods=["GET", "POST"])
def sign_up():
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            api_client.create_tenant({"slug": form.slug.data, "name": form.name.data,
                                      "owner_email": form.owner_email.data,
                                      "owner_password": form.owner_password.data},
                                     request.remote_addr)
        except ApiError as failure:
            show_api_errors(form, failure)
        else:
            return _signed_in(form.slug.data, form.owner_email.data, form.owner_password.data)
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("signup.html", form=form), status


def _signed_in(slug: str, email: str, password: str):
    """To the new tenant's console, signing the owner in on the way."""
    handoff = sessions.create({"handoff": {"slug": slug, "email": email, "password": password}},
                              lifetime=HANDOFF_SECONDS)
    response = redirect(url_for("console.log_in", slug=slug), code=303)
    response.set_cookie(HANDOFF_COOKIE, handoff, max_age=HANDOFF_SECONDS, path=f"/t/{slug}/login",
                        httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def take_handoff(slug: str) -> dict | None:
    """The credentials a sign-up left for this tenant's sign-in page, deleted as read."""
    handoff_id = request.cookies.get(HANDOFF_COOKIE)
    data = sessions.load(handoff_id)
    sessions.delete(handoff_id)
    handoff = (data or {}).get("handoff")
    return handoff if handoff and handoff["slug"] == slug else None


def clear_handoff(response, slug: str) -> None:
    response.delete_cookie(HANDOFF_COOKIE, path=f"/t/{slug}/login")
