"""Configuration: every setting comes from the environment, read in one place.

The table in README.md ("Configuration") documents each variable; keep the two
in step.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

#: Development-only secrets. Production refuses to start with them.
DEV_SECRET_KEY = "dev-insecure-change-me"
DEV_FRONTEND_API_KEY = "dev-frontend-api-key-change-me"

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """The configuration cannot run this environment; the message says why."""


def load_config(instance_path: str, environ: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config from ``environ`` (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    tessera_env = env.get("TESSERA_ENV", "production")
    if tessera_env not in ENVIRONMENTS:
        raise ConfigError(
            f"TESSERA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {tessera_env!r}")
    secret_key = env.get("SECRET_KEY") or ""
    if tessera_env == "production" and secret_key in ("", DEV_SECRET_KEY):
        raise ConfigError(
            "SECRET_KEY is missing or set to the development default; "
            "set SECRET_KEY to a long random value (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`) or TESSERA_ENV=development"
        )
    frontend_api_key = env.get("FRONTEND_API_KEY") or ""
    if tessera_env == "production" and (frontend_api_key == DEV_FRONTEND_API_KEY
                                        or len(frontend_api_key) < 32):
        raise ConfigError(
            "FRONTEND_API_KEY is missing, shorter than 32 characters or the development "
            "default; set it to the same long random value for the api and the frontend")
    public_api_url = env.get("PUBLIC_API_URL", "http://localhost:8080").rstrip("/")
    return {
        "TESSERA_ENV": tessera_env,
        "SECRET_KEY": secret_key or DEV_SECRET_KEY,
        "FRONTEND_API_KEY": frontend_api_key or DEV_FRONTEND_API_KEY,
        "SQLALCHEMY_DATABASE_URI": database_uri(env.get("DATABASE_URL"), instance_path),
        "PUBLIC_API_URL": public_api_url,
        "PUBLIC_FRONTEND_URL": env.get("PUBLIC_FRONTEND_URL", "http://localhost:8000").rstrip("/"),
        "API_INTERNAL_URL": env.get("API_INTERNAL_URL", public_api_url).rstrip("/"),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "TENANT_SIGNUP": env.get("TENANT_SIGNUP", "on").lower() in ("on", "true", "1", "yes"),
        "TENANT_CACHE_SECONDS": _seconds(env, "TENANT_CACHE_SECONDS", 5),
        "TESTING": tessera_env == "testing",
        # No pre-ping (a round trip per request): a connection that died with the
        # database fails one request with a 503 and the pool discards it.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600},
    }


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "")
    try:
        seconds = float(value) if value else default
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise ConfigError(f"{name} must be a number of seconds (0 or more), not {value!r}")
    return seconds


def database_uri(database_url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URI for ``DATABASE_URL``: plain ``postgresql://`` means psycopg2."""
    if not database_url:
        return f"sqlite:///{os.path.join(instance_path, 'tessera.db')}"
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg2://" + database_url[len(prefix):]
    return database_url
