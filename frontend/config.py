"""Frontend configuration, from the environment (see README "Configuration").

The frontend never imports ``api``: it shares only environment variables with it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

DEV_SECRET_KEY = "dev-insecure-change-me"
DEV_FRONTEND_API_KEY = "dev-frontend-api-key-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot run this environment; the message says why."""


def load_config(environ: Mapping[str, str] | None = None) -> dict:
    env = os.environ if environ is None else environ
    tessera_env = env.get("TESSERA_ENV", "production")
    secret_key = env.get("SECRET_KEY") or ""
    api_key = env.get("FRONTEND_API_KEY") or ""
    if tessera_env == "production" and (secret_key in ("", DEV_SECRET_KEY)
                                        or api_key in ("", DEV_FRONTEND_API_KEY)):
        raise ConfigError("SECRET_KEY and FRONTEND_API_KEY must be set to long random values "
                          "in production")
    public_api_url = env.get("PUBLIC_API_URL", "http://localhost:8080").rstrip("/")
    return {
        "TESSERA_ENV": tessera_env,
        "TESTING": tessera_env == "testing",
        "SECRET_KEY": secret_key or DEV_SECRET_KEY,
        "FRONTEND_API_KEY": api_key or DEV_FRONTEND_API_KEY,
        "PUBLIC_API_URL": public_api_url,
        "PUBLIC_FRONTEND_URL": env.get("PUBLIC_FRONTEND_URL",
                                       "http://localhost:8000").rstrip("/"),
        "API_INTERNAL_URL": env.get("API_INTERNAL_URL", public_api_url).rstrip("/"),
        "API_TIMEOUT": float(env.get("API_TIMEOUT", "5")),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SESSION_COOKIE_NAME": "tessera_frontend",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": tessera_env == "production",
        "WTF_CSRF_TIME_LIMIT": 3600,
    }
