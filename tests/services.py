"""Test databases and the rule for missing services.

Set ``TESSERA_TEST_DATABASE_URL`` to a PostgreSQL server URL (for example
``postgresql://postgres@127.0.0.1:5432/postgres``) and every test run creates a
fresh database on that server and drops it afterwards; without it the suite
runs on a fresh SQLite file. On CI (``CI=true``) a test whose service is missing
fails instead of skipping.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.config import database_uri

TEST_DATABASE_ENV = "TESSERA_TEST_DATABASE_URL"


def require(available: bool, what: str) -> None:
    """Skip a test whose service is missing, or fail it on CI."""
    if available:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is required on CI but is not available")
    pytest.skip(f"{what} is not available")


def postgres_server_url() -> str | None:
    """The configured PostgreSQL server, or None when the suite runs on SQLite."""
    url = os.environ.get(TEST_DATABASE_ENV)
    return database_uri(url, "") if url and url.startswith("postgres") else None


@contextmanager
def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """Create an empty database on the server; drop it (and its connections) afterwards."""
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
