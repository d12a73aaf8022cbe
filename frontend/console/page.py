"""What every console page shares: the signed-in user's view of the API (``g.console``),
who they are (``g.me``), what they may do (:func:`can`), list filters and paging, and
one-time results kept server-side (:meth:`Console.stash`)."""
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


def page_number() -> int:
    """``?page=`` as a positive number (anything else is page 1)."""
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and 0 < int(value) <= 100_000 else 1


#: Rows per page of every console list.
PER_PAGE = 25
#: The most rows a picker loads (every role, say); the API pages by 100 at most.
PICKER_LIMIT = 1000


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

    def page(self, resource: str, filters: dict | None = None) -> dict:
        """One page of a list (``?page=`` of the request), with ``filters``."""
        return self.call("GET", resource, params={**(filters or {}), "page": page_number(),
                                                  "per_page": PER_PAGE})

    def every(self, resource: str, **params) -> list[dict]:
        """Every item of a list (for pickers), page by page up to PICKER_LIMIT."""
        items, page = [], 1
        while len(items) < PICKER_LIMIT:
            result = self.call("GET", resource, params={**params, "page": page, "per_page": 100})
            items.extend(result["items"])
            if page * 100 >= result["total"]:
                break
            page += 1
        return items

    def stash(self, key: str, value) -> None:
        """Keep a one-time result (a new secret) in the server-side session for the page the
        action redirects to; it never travels in a cookie or a URL."""
        self.data.setdefault("once", {})[key] = value
        sessions.save(self.session_id, self.data)

    def take(self, key: str):
        """The one-time result under ``key``, removed as it is read."""
        value = self.data.get("once", {}).pop(key, None)
        if value is not None:
            sessions.save(self.session_id, self.data)
        return value

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
