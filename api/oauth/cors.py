"""CORS (the Fetch standard) for browser apps: which origins may read which responses.

Single-page apps hold bearer tokens, not cookies, so no response allows credentials.
Public metadata (discovery, JWKS) is readable from any origin (``*``). The token,
revocation and userinfo endpoints and the whole tenant REST API answer only the
origins the tenant's clients registered (:func:`api.clients.services.cors_origins`),
echoing the origin, never ``*``; preflights from those origins are answered, and
``WWW-Authenticate`` (the RFC 6750 error) and ``X-Request-ID`` are exposed to scripts.
Other endpoints (authorize, logout, the frontend's sign-in API) send nothing: browsers
reach them by navigation or not at all.
"""
from __future__ import annotations

from flask import Response, g, request

from api.clients.services import cors_origins

PUBLIC_ENDPOINTS = {"tenant.oauth.get_discovery", "tenant.oauth.get_jwks",
                    "well_known.get_rfc8414_metadata"}
CLIENT_ENDPOINTS = {"tenant.oauth.issue_token", "tenant.oauth.revoke_token",
                    "tenant.oauth.get_userinfo"}
REST_API = "tenant.api_v1."
EXPOSED_HEADERS = "WWW-Authenticate, X-Request-ID"
ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


def add_cors_headers(response: Response) -> Response:
    """The CORS response headers this request's origin and endpoint get (an after-request
    hook of the API app)."""
    endpoint = request.endpoint or ""
    public = endpoint in PUBLIC_ENDPOINTS
    if not (public or endpoint in CLIENT_ENDPOINTS or endpoint.startswith(REST_API)):
        return response
    origin = request.headers.get("Origin")
    if public:
        allowed = "*"
    else:
        response.vary.add("Origin")
        if not origin or "tenant" not in g or origin not in cors_origins():
            return response
        allowed = origin
    response.headers["Access-Control-Allow-Origin"] = allowed
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        response.headers["Access-Control-Allow-Methods"] = ", ".join(sorted(response.allow))
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response
