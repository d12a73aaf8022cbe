"""Frontend configuration, from the environment (see README "Configuration").

The frontend never imports ``api``: it shares only environment variables with
it, read by the same rules (:mod:`settings`).
"""
from __future__ import annotations

from collections.abc import Mapping

from settings import MAX_BODY_BYTES, Environment


def load_config(environ: Mapping[str, str] | None = None) -> dict:
    env = Environment(environ)
    public_api_url = env.url("PUBLIC_API_URL", "http://localhost:8080")
    return {
        "TESSERA_ENV": env.name,
        "TESTING": env.name == "testing",
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        "SECRET_KEY": env.secret_key(),
        "FRONTEND_API_KEY": env.frontend_api_key(),
        "PUBLIC_API_URL": public_api_url,
        "PUBLIC_FRONTEND_URL": env.url("PUBLIC_FRONTEND_URL", "http://localhost:8000"),
        "API_INTERNAL_URL": env.url("API_INTERNAL_URL", public_api_url),
        "API_TIMEOUT": env.seconds("API_TIMEOUT", 5, minimum=0.1),
        "REDIS_URL": env.get("REDIS_URL"),
        "SESSION_COOKIE_NAME": "tessera_frontend",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.production,
        "WTF_CSRF_TIME_LIMIT": 3600,
    }
