"""Configuration from the environment, and production's refusal of weak secrets."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.config import (DEV_FRONTEND_API_KEY, DEV_SECRET_KEY, ConfigError, database_uri,
                        load_config)

STRONG = "s" * 40


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY])
def test_production_refuses_missing_or_default_secret_key(secret):
    env = {"TESSERA_ENV": "production", "FRONTEND_API_KEY": STRONG}
    if secret is not None:
        env["SECRET_KEY"] = secret
    with pytest.raises(ConfigError) as error:
        load_config("/tmp", env)
    assert "SECRET_KEY" in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("key", [None, "short", DEV_FRONTEND_API_KEY])
def test_production_refuses_a_weak_frontend_api_key(key):
    env = {"TESSERA_ENV": "production", "SECRET_KEY": STRONG}
    if key is not None:
        env["FRONTEND_API_KEY"] = key
    with pytest.raises(ConfigError, match="FRONTEND_API_KEY"):
        load_config("/tmp", env)


def test_production_is_the_default_environment(monkeypatch):
    monkeypatch.delenv("TESSERA_ENV")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_environment_settings_are_read():
    config = load_config("/srv/instance", {
        "TESSERA_ENV": "production", "SECRET_KEY": STRONG, "FRONTEND_API_KEY": "k" * 32,
        "DATABASE_URL": "postgresql://u:p@db:5432/tessera",
        "PUBLIC_API_URL": "https://id.example.com/",
        "PUBLIC_FRONTEND_URL": "https://app.example.com",
        "API_INTERNAL_URL": "http://api:8080", "REDIS_URL": "redis://redis:6379/0"})
    assert config["SECRET_KEY"] == STRONG
    assert config["FRONTEND_API_KEY"] == "k" * 32
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg2://u:p@db:5432/tessera"
    assert config["PUBLIC_API_URL"] == "https://id.example.com"
    assert config["PUBLIC_FRONTEND_URL"] == "https://app.example.com"
    assert config["API_INTERNAL_URL"] == "http://api:8080"
    assert config["REDIS_URL"] == "redis://redis:6379/0"


def test_database_admin_url_is_a_second_engine_only_when_it_differs():
    runtime, owner = "postgresql://app:p@db/tessera", "postgresql://owner:p@db/tessera"
    binds = [load_config("/srv", {"TESSERA_ENV": "testing", **env})["SQLALCHEMY_BINDS"]
             for env in ({"DATABASE_URL": runtime, "DATABASE_ADMIN_URL": owner},
                         {"DATABASE_URL": runtime, "DATABASE_ADMIN_URL": runtime},
                         {"DATABASE_URL": runtime}, {})]
    assert binds == [{"admin": "postgresql+psycopg2://owner:p@db/tessera"}, {}, {}, {}]


def test_defaults_are_the_embedded_ones():
    config = load_config("/srv/instance", {"TESSERA_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////srv/instance/tessera.db"
    assert config["PUBLIC_API_URL"] == "http://localhost:8080"
    assert config["PUBLIC_FRONTEND_URL"] == "http://localhost:8000"
    assert config["API_INTERNAL_URL"] == "http://localhost:8080"
    assert config["REDIS_URL"] is None


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="TESSERA_ENV"):
        load_config("/tmp", {"TESSERA_ENV": "staging"})


def test_database_uri_keeps_explicit_drivers():
    assert database_uri("postgres://h/d", "") == "postgresql+psycopg2://h/d"
    assert database_uri("postgresql+psycopg2://h/d", "") == "postgresql+psycopg2://h/d"
    assert database_uri("sqlite:///x.db", "") == "sqlite:///x.db"


@pytest.mark.parametrize("value, seconds", [(None, 5), ("0", 0), ("2.5", 2.5)])
def test_tenant_cache_seconds(value, seconds):
    env = {"TESSERA_ENV": "testing"}
    if value is not None:
        env["TENANT_CACHE_SECONDS"] = value
    assert load_config("/tmp", env)["TENANT_CACHE_SECONDS"] == seconds


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_tenant_cache_seconds_must_be_a_non_negative_number(value):
    with pytest.raises(ConfigError, match="TENANT_CACHE_SECONDS"):
        load_config("/tmp", {"TESSERA_ENV": "testing", "TENANT_CACHE_SECONDS": value})


@pytest.mark.parametrize("name", ["PUBLIC_API_URL", "PUBLIC_FRONTEND_URL", "API_INTERNAL_URL"])
def test_urls_must_be_http(name):
    with pytest.raises(ConfigError, match=name):
        load_config("/tmp", {"TESSERA_ENV": "testing", name: "localhost:8080"})


@pytest.mark.parametrize("args", [["db", "upgrade"], ["tenants", "list"], ["purge"]])
def test_cli_without_production_settings_prints_one_line(tmp_path, args):
    """No traceback: the operator reads what to set."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "FRONTEND_API_KEY", "TESSERA_ENV")}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "api", *args],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: SECRET_KEY is missing or set to the development default; set SECRET_KEY to a "
        "long random value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        " or TESSERA_ENV=development"]
