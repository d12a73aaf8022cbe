"""The frontend reads its environment by the same rules as the API (the shared settings)."""
import pytest

from frontend.config import load_config
from settings import DEV_FRONTEND_API_KEY, DEV_SECRET_KEY, ConfigError

STRONG = "s" * 40


@pytest.mark.parametrize("env, name", [
    ({"FRONTEND_API_KEY": STRONG}, "SECRET_KEY"),
    ({"SECRET_KEY": DEV_SECRET_KEY, "FRONTEND_API_KEY": STRONG}, "SECRET_KEY"),
    ({"SECRET_KEY": STRONG}, "FRONTEND_API_KEY"),
    ({"SECRET_KEY": STRONG, "FRONTEND_API_KEY": "short"}, "FRONTEND_API_KEY"),
    ({"SECRET_KEY": STRONG, "FRONTEND_API_KEY": DEV_FRONTEND_API_KEY}, "FRONTEND_API_KEY"),
])
def test_production_refuses_weak_secrets(env, name):
    with pytest.raises(ConfigError, match=name):
        load_config({"TESSERA_ENV": "production", **env})


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="TESSERA_ENV"):
        load_config({"TESSERA_ENV": "staging"})


@pytest.mark.parametrize("value", ["soon", "0", "-2", "nan"])
def test_api_timeout_must_be_a_positive_number(value):
    with pytest.raises(ConfigError, match="API_TIMEOUT"):
        load_config({"TESSERA_ENV": "testing", "API_TIMEOUT": value})


def test_settings_are_read():
    config = load_config({"TESSERA_ENV": "production", "SECRET_KEY": STRONG,
                          "FRONTEND_API_KEY": "k" * 32, "API_TIMEOUT": "2.5",
                          "PUBLIC_API_URL": "https://id.example.com/",
                          "REDIS_URL": "redis://redis:6379/0"})
    assert config["API_TIMEOUT"] == 2.5
    assert config["PUBLIC_API_URL"] == config["API_INTERNAL_URL"] == "https://id.example.com"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REDIS_URL"] == "redis://redis:6379/0"
