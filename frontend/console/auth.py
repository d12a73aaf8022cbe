"""Console sign-in: the authorization code flow with PKCE, run server-side.

The frontend is a first-party public client of each tenant. Tokens never reach
the browser: they sit in the server-side session (:mod:`.sessions`), are
refreshed when the API answers 401 (:mod:`.page`), and are revoked at sign-out.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time

from flask import current_app, redirect, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.console import sessions

LOCAL_PAGE = re.compile(r"/t/[a-z0-9-]+/[a-z0-9/-]*")


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def cookie_path(slug: str) -> str:
    """The console session covers the console and the account page, ``/t/<slug>/account``."""
    return f"/t/{slug}/"


def set_cookie(response, slug: str, session_id: str) -> None:
    response.set_cookie(sessions.COOKIE, session_id, max_age=sessions.LIFETIME,
                        path=cookie_path(slug), httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])


def clear_cookie(response, slug: str) -> None:
    response.delete_cookie(sessions.COOKIE, path=cookie_path(slug))


def _local_page(slug: str, path: str | None) -> str | None:
    """``path`` when it is a page of this tenant's console or account (never elsewhere)."""
    if path and LOCAL_PAGE.fullmatch(path) and path.startswith(
            (f"/t/{slug}/console", f"/t/{slug}/account")):
        return path
    return None


def start(slug: str, next_page: str | None = None):
    """Send the browser to the tenant's authorization endpoint; after sign-in it returns to
    ``next_page`` (a console or account page) or the dashboard."""
    console = api_client.console_client(slug)
    state, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    pending = sessions.create({"slug": slug, "pending": {
        "state": state, "verifier": verifier, "client_id": console["client_id"],
        "redirect_uri": console["redirect_uri"], "next": _local_page(slug, next_page)}})
    # No scope: the console's registered scope applies, narrowed to the user's role.
    response = redirect(api_client.browser_url(
        slug, "authorize", response_type="code", client_id=console["client_id"],
        redirect_uri=console["redirect_uri"], state=state, code_challenge=_challenge(verifier),
        code_challenge_method="S256"))
    set_cookie(response, slug, pending)
    return response


def finish(slug: str):
    """The authorization response: check state and issuer, redeem the code, rotate the id."""
    old_id = request.cookies.get(sessions.COOKIE)
    pending = (sessions.load(old_id) or {}).get("pending")
    issuer = api_client.browser_url(slug)
    if (not pending or not hmac.compare_digest(request.args.get("state", ""), pending["state"])
            or request.args.get("iss") != issuer):
        return redirect(url_for("console.log_in", slug=slug))
    sessions.delete(old_id)
    if "code" not in request.args:  # access_denied or another error: start over
        return redirect(url_for("console.log_in", slug=slug))
    tokens = api_client.token(slug, {
        "grant_type": "authorization_code", "code": request.args["code"],
        "redirect_uri": pending["redirect_uri"], "client_id": pending["client_id"],
        "code_verifier": pending["verifier"]})
    session_id = sessions.create(_session_data(slug, pending["client_id"], tokens))
    response = redirect(pending.get("next") or url_for("console.show_dashboard", slug=slug))
    set_cookie(response, slug, session_id)
    return response


def _session_data(slug: str, client_id: str, tokens: dict) -> dict:
    return {"slug": slug, "client_id": client_id, "access_token": tokens["access_token"],
            "refresh_token": tokens.get("refresh_token"), "id_token": tokens.get("id_token"),
            "expires": time.time() + sessions.LIFETIME}


def end(slug: str):
    """Sign out: revoke the grant, forget the session, and end the API's sign-in session
    (RP-Initiated Logout with the console's ID token as the hint, so no confirmation)."""
    session_id = request.cookies.get(sessions.COOKIE)
    data = sessions.load(session_id)
    if data and data.get("refresh_token"):
        try:
            api_client.revoke(slug, data["client_id"], data["refresh_token"])
        except ApiError:
            pass  # already revoked: signing out still ends the session
    sessions.delete(session_id)
    signed_out = url_for("console.show_signed_out", slug=slug, _external=True)
    public = current_app.config["PUBLIC_FRONTEND_URL"]
    signed_out = public + signed_out[signed_out.index(f"/t/{slug}/"):]
    hint = {"id_token_hint": data["id_token"]} if data and data.get("id_token") else {}
    response = redirect(api_client.browser_url(slug, "logout",
                                               post_logout_redirect_uri=signed_out, **hint))
    clear_cookie(response, slug)
    return response
