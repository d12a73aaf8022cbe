"""Callers of the tenant REST API, each holding a real token from a real grant."""
import pytest

from tests.helpers import Callers


@pytest.fixture
def callers(client, factories, tenant):
    return Callers(client, factories, tenant)


@pytest.fixture
def owner(callers):
    return callers.as_user("owner@acme.io")


@pytest.fixture
def admin(callers):
    return callers.as_new_user("admin")


@pytest.fixture
def member(callers):
    return callers.as_new_user("user")
