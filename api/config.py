"""Configuration of the API: every setting comes from the environment, read in one place.

The rules both apps share live in :mod:`settings`; the table in README.md
("Configuration") documents each variable; keep the two in step.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from settings import (DEV_FRONTEND_API_KEY, DEV_SECRET_KEY, MAX_BODY_BYTES, ConfigError,
                      Environment)

__all__ = ["DEV_FRONTEND_API_KEY", "DEV_SECRET_KEY", "ConfigError", "database_uri",
           "load_config", "mail_from", "smtp_settings"]

#: How the connection to the mail server is secured, by URL scheme and ``starttls``.
STARTTLS, IMPLICIT_TLS, PLAIN = "starttls", "tls", "plain"


def load_config(instance_path: str, environ: Mapping[str, str] | None = None) -> dict:
    """Build the Flask config from ``environ`` (``os.environ`` by default)."""
    env = Environment(environ)
    public_api_url = env.url("PUBLIC_API_URL", "http://localhost:8080")
    database = database_uri(env.get("DATABASE_URL"), instance_path)
    admin = database_uri(env.get("DATABASE_ADMIN_URL", env.get("DATABASE_URL")), instance_path)
    return {
        "TESSERA_ENV": env.name,
        "SECRET_KEY": env.secret_key(),
        "FRONTEND_API_KEY": env.frontend_api_key(),
        "SQLALCHEMY_DATABASE_URI": database,
        # Migrations and cross-tenant operator work (api.rls.admin_engine).
        "SQLALCHEMY_BINDS": {} if admin == database else {"admin": admin},
        "PUBLIC_API_URL": public_api_url,
        "PUBLIC_FRONTEND_URL": env.url("PUBLIC_FRONTEND_URL", "http://localhost:8000"),
        "API_INTERNAL_URL": env.url("API_INTERNAL_URL", public_api_url),
        "REDIS_URL": env.get("REDIS_URL"),
        "TENANT_SIGNUP": env.flag("TENANT_SIGNUP", True),
        "TENANT_CACHE_SECONDS": env.seconds("TENANT_CACHE_SECONDS", 5),
        "OUTBOUND_ALLOW_PRIVATE": env.flag("OUTBOUND_ALLOW_PRIVATE", False),
        "SMTP": smtp_settings(env.get("SMTP_URL")),
        "MAIL_FROM": mail_from(env.get("MAIL_FROM", "tessera@localhost")),
        "MAIL_DIR": os.path.join(instance_path, "mail"),
        "SIGNING_KEY_MAX_AGE": env.seconds("SIGNING_KEY_MAX_AGE", 90 * 86400, minimum=3600),
        "TESTING": env.name == "testing",
        "MAX_CONTENT_LENGTH": MAX_BODY_BYTES,
        # No pre-ping (a round trip per request): a connection that died with the
        # database fails one request with a 503 and the pool discards it.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_recycle": 3600},
    }


def database_uri(database_url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URI for ``DATABASE_URL``: plain ``postgresql://`` means psycopg2."""
    if not database_url:
        return f"sqlite:///{os.path.join(instance_path, 'tessera.db')}"
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg2://" + database_url[len(prefix):]
    return database_url


def smtp_settings(url: str | None) -> dict | None:
    """``SMTP_URL`` taken apart; None when unset (mails go to the log and ``instance/mail/``).

    ``smtp://user:pass@host:587`` requires STARTTLS (certificates verified against
    the system store or ``SSL_CERT_FILE``), ``smtp://host:1025?starttls=false``
    speaks plain SMTP (a loopback mail catcher), ``smtps://…`` is implicit TLS.
    """
    if not url:
        return None
    parts = urlsplit(url)
    options = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1 \
            or set(options) - {"starttls"} or options.get("starttls", "true") not in (
                "true", "false") or (parts.scheme == "smtps" and "starttls" in options):
        raise ConfigError("SMTP_URL must look like smtp://user:pass@host:587, "
                          "smtp://host:1025?starttls=false or smtps://user:pass@host:465")
    if parts.scheme == "smtps":
        security = IMPLICIT_TLS
    else:
        security = PLAIN if options.get("starttls") == "false" else STARTTLS
    return {"host": parts.hostname, "port": port or (465 if security == IMPLICIT_TLS else 587),
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "security": security}


def mail_from(value: str) -> str:
    """``MAIL_FROM``'s address (mails carry the tenant's name beside it)."""
    address = parseaddr(value)[1]
    if "@" not in address:
        raise ConfigError(f"MAIL_FROM must be an email address, not {value!r}")
    return address
