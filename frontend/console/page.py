"""What every console page shares: the signed-in user's view of the API (``g.console``),
who they are (``g.me``), what they may do (:func:`can`), and list filters."""
from __future__ import annotations

from functools import wraps

from flask import g, redirect, request, url_for

from frontend import api_client
from frontend.api_client import ApiError
from frontend.console import sessions
from frontend.console.auth import clear_cookie


def can(permission: str) -> bool:
    """Whether the signed-in user's token carries ``permission``."""
    return permission in g.me["permissions"]


def query_filters(names) -> dict:
    """The list filters among the query arguments, passed to the API unchanged."""
    return {name: request.args[name] for name in names if request.args.get(name)}


class Console:
    """The signed-in user's view of the tenant API, refreshing the access token as needed."""

    def __init__(self, slug: str, session_id: str, data: dict):
        self.slug, self.session_id, self.data = slug, session_id, data

    def call(self, method: str, *segments: object, **kwargs) -> dict:
        """``call("GET", "users", user_id)``: each segment is encoded on its own."""
        try:
            return api_client.rest(method, self.slug, self.data["access_token"], *segments,
                                   **kwargs)
        except ApiError as error:
            if error.status != 401 or not self._refresh():
                raise
        return api_client.rest(method, self.slug, self.data["access_token"], *segments, **kwargs)

    def _refresh(self) -> bool:
        try:
            tokens = api_client.token(self.slug, {
                "grant_type": "refresh_token", "refresh_token": self.data["refresh_token"],
                "client_id": self.data["client_id"]})
        except ApiError:
            return False
        self.data.update(access_token=tokens["access_token"],
                         refresh_token=tokens.get("refresh_token"))
        sessions.save(self.session_id, self.data)
        return True


def console_page(view):
    """Load the console session (or send the browser to sign in) and ``g.me``."""
    @wraps(view)
    def wrapper(slug: str, *args, **kwargs):
        session_id = request.cookies.get(sessions.COOKIE)
        data = sessions.load(session_id)
        if not data or data.get("slug") != slug or "access_token" not in data:
            return redirect(url_for("console.log_in", slug=slug, next=request.path
                                    if request.method == "GET" else None))
        g.console = Console(slug, session_id, data)
        try:
            g.me = g.console.call("GET", "me")
            return view(slug, *args, **kwargs)
        except ApiError as error:
            if error.status != 401:
                raise
        sessions.delete(session_id)
        response = redirect(url_for("console.log_in", slug=slug))
        clear_cookie(response, slug)
        return response
    return wrapper
