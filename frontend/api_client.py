"""The one place the frontend talks to the API: server-side HTTP with timeouts.

Errors come back as :class:`ApiError` (the API answered 4xx, with its problem
document) or :class:`ApiUnavailable` (unreachable, slow, or 5xx).

The frontend calls the API with a privileged key, so no input is ever pasted
into a path: every path is built from segments, each percent-encoded whole, and
tenant slugs and sign-in challenges must be well-formed (:mod:`identifiers`)
before anything is sent. A malformed one names nothing: it is refused as the
API would refuse it (a 404), without a request.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import requests
from flask import current_app

import identifiers

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


def _not_found(detail: str) -> ApiError:
    return ApiError(404, {"title": "Not Found", "detail": detail})


def _path(*segments: object) -> str:
    """An API path from its segments, each percent-encoded whole: no value can add a
    segment, climb out of its place (``.``, ``..``) or start a query."""
    encoded = [quote(str(segment), safe="") for segment in segments]
    if any(segment in ("", ".", "..") for segment in encoded):
        raise _not_found("There is no such resource.")
    return "".join(f"/{segment}" for segment in encoded)


def _tenant_path(slug: str, *segments: object) -> str:
    """A path under the tenant's issuer, ``/t/{slug}/...``."""
    if not identifiers.is_slug(slug):
        raise _not_found("There is no such tenant.")
    return _path("t", slug, *segments)


def _token(value: str, what: str) -> str:
    """``value`` if it is a token (sign-in challenges, form-post references), else the 404
    the API would answer."""
    if not identifiers.is_token(value):
        raise _not_found(f"Unknown {what}.")
    return value


def _challenge_path(slug: str, challenge: str, *segments: str) -> str:
    """A path of the sign-in challenge API, ``/t/{slug}/sign-in/challenges/{challenge}/...``."""
    return _tenant_path(slug, "sign-in", "challenges", _token(challenge, "sign-in challenge"),
                        *segments)


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
    return _call("GET", _challenge_path(slug, challenge))


def public_tenant(slug: str) -> dict:
    """The tenant's name and branding, for end-user pages."""
    return _call("GET", _tenant_path(slug, "sign-in", "tenant"))


def discovery(slug: str) -> dict:
    """The tenant's authorization server metadata (RFC 8414): endpoints and scopes."""
    return _call("GET", _tenant_path(slug, ".well-known", "openid-configuration"))


def log_in(slug: str, challenge: str, email: str, password: str, ip: str | None) -> dict:
    return _call("POST", _challenge_path(slug, challenge, "login"),
                 json={"email": email, "password": password, "ip": ip})


def second_factor(slug: str, challenge: str, factor: str, code: str, ip: str | None) -> dict:
    """The sign-in's second step: ``factor`` (``totp``, ``recovery_code``) and its code."""
    return _call("POST", _challenge_path(slug, challenge, "second-factor"),
                 json={"factor": factor, "code": code, "ip": ip})


def begin_enrolment(slug: str, challenge: str) -> dict:
    """The authenticator app a user who must have one adds during sign-in: ``secret``,
    ``otpauth_uri``, ``qr_svg``."""
    return _call("POST", _challenge_path(slug, challenge, "enrolment", "totp"))


def confirm_enrolment(slug: str, challenge: str, code: str) -> dict:
    """The enrolment's first code: what comes next, and the recovery codes (shown once)."""
    return _call("POST", _challenge_path(slug, challenge, "enrolment", "totp", "confirm"),
                 json={"code": code})


def passkey_options(slug: str, challenge: str) -> dict:
    """WebAuthn request options for signing in to ``challenge`` with a passkey alone."""
    return _call("POST", _challenge_path(slug, challenge, "passkey", "options"))


def log_in_with_passkey(slug: str, challenge: str, credential, ip: str | None) -> dict:
    return _call("POST", _challenge_path(slug, challenge, "passkey"),
                 json={"credential": credential, "ip": ip})


def second_factor_passkey(slug: str, challenge: str, credential, ip: str | None) -> dict:
    """The sign-in's second step answered with a passkey's assertion."""
    return _call("POST", _challenge_path(slug, challenge, "second-factor"),
                 json={"factor": "passkey", "credential": credential, "ip": ip})


def decide(slug: str, challenge: str, approve: bool, remember: bool) -> dict:
    return _call("POST", _challenge_path(slug, challenge, "consent"),
                 json={"approve": approve, "remember": remember})


def redeem_form_post(slug: str, reference: str) -> dict:
    """A form-post authorization response (``redirect_uri``, ``params``); works once."""
    return _call("POST", _tenant_path(slug, "sign-in", "form-post",
                                      _token(reference, "form-post response")))


def sign_in_settings(slug: str) -> dict:
    """What the tenant's public pages show: its name, whether sign-up is on, password length."""
    return _call("GET", _tenant_path(slug, "sign-in", "settings"))


def _end_user(ip: str | None) -> dict:
    return {"X-End-User-IP": ip or ""}


def sign_up(slug: str, data: dict, ip: str | None) -> dict:
    """Self-service sign-up of a user (``POST {issuer}/api/v1/signup``)."""
    return _call("POST", _tenant_path(slug, "api", "v1", "signup"), json=data,
                 headers=_end_user(ip))


def request_password_reset(slug: str, email: str, ip: str | None) -> dict:
    return _call("POST", _tenant_path(slug, "sign-in", "password-reset"), json={"email": email},
                 headers=_end_user(ip))


def check_reset_link(slug: str, token: str) -> dict:
    """The address a reset link is for; ApiError 404/410 when it does not work."""
    return _call("POST", _tenant_path(slug, "sign-in", "password-reset", "check"),
                 json={"token": token})


def reset_password(slug: str, token: str, password: str, ip: str | None) -> dict:
    return _call("POST", _tenant_path(slug, "sign-in", "password-reset", "complete"),
                 json={"token": token, "password": password}, headers=_end_user(ip))


def confirm_email(slug: str, token: str) -> dict:
    """Follow an email verification or email-change link."""
    return _call("POST", _tenant_path(slug, "sign-in", "email-verification"),
                 json={"token": token})


def describe_logout(slug: str, request: str) -> dict:
    """A parked sign-out (``client``, ``user``), for the confirmation page."""
    return _call("GET", _tenant_path(slug, "sign-in", "logout"), params={"request": request})


def confirm_logout(slug: str, request: str) -> dict:
    """The person confirmed a parked sign-out; ``redirect_to`` is where to go (or None)."""
    return _call("POST", _tenant_path(slug, "sign-in", "logout"), json={"request": request})


def console_client(slug: str) -> dict:
    """The tenant's first-party console client: ``client_id`` and ``redirect_uri``."""
    return _call("GET", _tenant_path(slug, "sign-in", "console-client"))


def token(slug: str, form: dict) -> dict:
    """The token endpoint (RFC 6749 §3.2), for the console's own public client."""
    return _call("POST", _tenant_path(slug, "token"), data=form)


def revoke(slug: str, client_id: str, token_value: str) -> None:
    _call("POST", _tenant_path(slug, "revoke"),
          data={"token": token_value, "client_id": client_id, "token_type_hint": "refresh_token"})


def rest(method: str, slug: str, access_token: str, *segments: object, **kwargs) -> dict:
    """A call to the tenant REST API with the signed-in user's access token:
    ``rest("PATCH", slug, token, "users", user_id, json=...)``."""
    headers = {"Authorization": f"Bearer {access_token}", **kwargs.pop("headers", {})}
    return _call(method, _tenant_path(slug, "api", "v1", *segments), headers=headers, **kwargs)


def browser_url(slug: str, *segments: str, **query: str) -> str:
    """An address of the tenant's issuer for the browser (``PUBLIC_API_URL``), built like
    every path the frontend calls itself."""
    url = current_app.config["PUBLIC_API_URL"] + _tenant_path(slug, *segments)
    return f"{url}?{urlencode(query)}" if query else url


def create_tenant(data: dict, ip: str | None) -> dict:
    """Self-service sign-up (``POST /api/v1/tenants``)."""
    return _call("POST", "/api/v1/tenants", json=data, headers={"X-End-User-IP": ip or ""})
