"""The one place the frontend talks to the API: server-side HTTP with timeouts.

Errors come back as :class:`ApiError` (the API answered 4xx, with its problem
document) or :class:`ApiUnavailable` (unreachable, slow, or 5xx).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

import requests
from flask import current_app

_session = requests.Session()


@dataclass
class ApiError(Exception):
    """The API refused the request; ``problem`` is its RFC 9457 document."""

    status: int
    problem: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return self.problem.get("detail") or self.problem.get("title") or "Request refused."

    @property
    def field_errors(self) -> dict:
        return self.problem.get("errors") or {}


class ApiUnavailable(Exception):
    """The API could not be reached, timed out, or failed."""


def _call(method: str, path: str, **kwargs) -> dict:
    config = current_app.config
    headers = {"X-Frontend-Key": config["FRONTEND_API_KEY"], **kwargs.pop("headers", {})}
    try:
        response = _session.request(method, config["API_INTERNAL_URL"] + path, headers=headers,
                                    timeout=config["API_TIMEOUT"], **kwargs)
    except requests.RequestException as error:
        raise ApiUnavailable(str(error)) from None
    if response.status_code >= 500:
        raise ApiUnavailable(f"API answered {response.status_code}")
    try:
        body = response.json() if response.content else {}
    except ValueError:
        raise ApiUnavailable("API answered with something that is not JSON") from None
    if response.status_code >= 400:
        raise ApiError(response.status_code, body if isinstance(body, dict) else {})
    return body


def api_ready() -> dict:
    """The API's readiness probe (database reachable, migrations current)."""
    return _call("GET", "/health/ready")


def get_challenge(slug: str, challenge: str) -> dict:
    """What a pending sign-in is about: tenant, client, scopes, who, what next."""
    return _call("GET", f"/t/{slug}/sign-in/challenges/{challenge}")


def log_in(slug: str, challenge: str, email: str, password: str, ip: str | None) -> dict:
    return _call("POST", f"/t/{slug}/sign-in/challenges/{challenge}/login",
                 json={"email": email, "password": password, "ip": ip})


def decide(slug: str, challenge: str, approve: bool, remember: bool) -> dict:
    return _call("POST", f"/t/{slug}/sign-in/challenges/{challenge}/consent",
                 json={"approve": approve, "remember": remember})


def redeem_form_post(slug: str, reference: str) -> dict:
    """A form-post authorization response (``redirect_uri``, ``params``); works once."""
    return _call("POST", f"/t/{slug}/sign-in/form-post/{quote(reference, safe='')}")


def console_client(slug: str) -> dict:
    """The tenant's first-party console client: ``client_id`` and ``redirect_uri``."""
    return _call("GET", f"/t/{slug}/sign-in/console-client")


def token(slug: str, form: dict) -> dict:
    """The token endpoint (RFC 6749 §3.2), for the console's own public client."""
    return _call("POST", f"/t/{slug}/token", data=form)


def revoke(slug: str, client_id: str, token_value: str) -> None:
    _call("POST", f"/t/{slug}/revoke",
          data={"token": token_value, "client_id": client_id, "token_type_hint": "refresh_token"})


def rest(method: str, slug: str, path: str, access_token: str, **kwargs) -> dict:
    """A call to the tenant REST API with the signed-in user's access token."""
    return _call(method, f"/t/{slug}/api/v1{path}",
                 headers={"Authorization": f"Bearer {access_token}"}, **kwargs)


def create_tenant(data: dict, ip: str | None) -> dict:
    """Self-service sign-up (``POST /api/v1/tenants``)."""
    return _call("POST", "/api/v1/tenants", json=data, headers={"X-End-User-IP": ip or ""})
