"""Reading settings from the environment, the same way in both apps.

``api/config.py`` and ``frontend/config.py`` say which settings each app has;
this module holds the rules they share (environment names, the secrets that
production refuses, numbers and URLs), so the two cannot drift apart. README.md
("Configuration") documents every variable.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import click

ENVIRONMENTS = ("production", "development", "testing")
#: Development-only secrets. Production refuses to start with them.
DEV_SECRET_KEY = "dev-insecure-change-me"
DEV_FRONTEND_API_KEY = "dev-frontend-api-key-change-me"
MIN_FRONTEND_API_KEY = 32
TRUE_WORDS = ("on", "true", "1", "yes")
#: The largest request body either app reads (MAX_CONTENT_LENGTH); nginx/tessera.conf.template
#: sets the same client_max_body_size.
MAX_BODY_BYTES = 1024 * 1024


class ConfigError(click.ClickException):
    """The configuration cannot run this environment; the message says why, on one line.

    It is a ClickException so that ``flask --app api …`` prints just that line.
    """


class Environment:
    """The variables of one environment (``os.environ`` by default), checked as they are read."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.env = os.environ if environ is None else environ
        self.name = self.env.get("TESSERA_ENV", "production")
        if self.name not in ENVIRONMENTS:
            raise ConfigError(f"TESSERA_ENV must be one of {', '.join(ENVIRONMENTS)}, "
                              f"not {self.name!r}")

    @property
    def production(self) -> bool:
        return self.name == "production"

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.env.get(name) or default

    def secret_key(self) -> str:
        """SECRET_KEY; production refuses a missing one or the development default."""
        value = self.env.get("SECRET_KEY") or ""
        if self.production and value in ("", DEV_SECRET_KEY):
            raise ConfigError(
                "SECRET_KEY is missing or set to the development default; set SECRET_KEY to a "
                "long random value (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`) or TESSERA_ENV=development")
        return value or DEV_SECRET_KEY

    def frontend_api_key(self) -> str:
        """FRONTEND_API_KEY, shared by both apps; production wants 32 random characters."""
        value = self.env.get("FRONTEND_API_KEY") or ""
        if self.production and (value == DEV_FRONTEND_API_KEY
                                or len(value) < MIN_FRONTEND_API_KEY):
            raise ConfigError(
                f"FRONTEND_API_KEY is missing, shorter than {MIN_FRONTEND_API_KEY} characters or "
                "the development default; set it to the same long random value for the api "
                "and the frontend")
        return value or DEV_FRONTEND_API_KEY

    def seconds(self, name: str, default: float, minimum: float = 0) -> float:
        """A number of seconds, at least ``minimum``; a clear error for anything else."""
        value = self.env.get(name, "")
        try:
            seconds = float(value) if value else default
        except ValueError:
            seconds = minimum - 1
        if not seconds >= minimum:  # also refuses NaN
            raise ConfigError(f"{name} must be a number of seconds ({minimum:g} or more), "
                              f"not {value!r}")
        return seconds

    def url(self, name: str, default: str) -> str:
        """An absolute http(s) URL, without a trailing slash."""
        value = (self.env.get(name) or default).rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ConfigError(f"{name} must be an http:// or https:// URL, not {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.env.get(name)
        return default if not value else value.lower() in TRUE_WORDS
