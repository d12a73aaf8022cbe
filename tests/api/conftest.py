"""Callers of the tenant REST API, each holding a real token from a real grant."""
import pytest


@pytest.fixture
def admin(callers):
    return callers.as_new_user("admin")


@pytest.fixture
def member(callers):
    return callers.as_new_user("user")
