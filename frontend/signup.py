"""``/signup``: create a tenant and its owner through the API, then sign the owner in."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.console.forms import SignUpForm
from frontend.feedback import show_api_errors

bp = Blueprint("signup", __name__)


@bp.route("/signup", methods=["GET", "POST"])
def sign_up():
    form = SignUpForm()
    error = None
    if form.validate_on_submit():
        try:
            api_client.create_tenant({"slug": form.slug.data, "name": form.name.data,
                                      "owner_email": form.owner_email.data,
                                      "owner_password": form.owner_password.data},
                                     request.remote_addr)
            return redirect(url_for("console.log_in", slug=form.slug.data), code=303)
        except ApiError as failure:
            error = failure.message
            show_api_errors(form, failure)
    return render_template("signup.html", form=form, error=error), 200 if error is None else 422
