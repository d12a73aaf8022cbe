"""Test databases and the rule for missing services.

Set ``TESSERA_TEST_DATABASE_URL`` to a PostgreSQL server URL (for example
``postgresql://postgres@127.0.0.1:5432/postgres``) and every test run creates a
fresh database on that server and drops it afterwards; without it the suite
runs on a fresh SQLite file. On PostgreSQL each database gets two roles of its
own, as in production: its owner migrates it (``DATABASE_ADMIN_URL``) and the app
connects as a runtime role (``DATABASE_URL``), neither superuser nor BYPASSRLS,
so row-level security holds against both. On CI (``CI=true``) a test whose
service is missing fails instead of skipping.
"""
from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
def fresh_postgres_database(server_url: str, owner: str | None = None) -> Iterator[str]:
    """Create an empty database on the server, owned by ``owner`` (else the server's user);
    drop it (and its connections) afterwards. Yields its URL as the server's user."""
    name = f"tessera_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner
                                                                  else ""))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@dataclass(frozen=True)
class Database:
    """A database for tests: ``url`` is DATABASE_URL, ``admin_url`` DATABASE_ADMIN_URL."""

    url: str
    admin_url: str

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "DATABASE_ADMIN_URL": self.admin_url}

    @property
    def config(self) -> dict:
        """create_app's overrides for this database (what the environment above sets)."""
        binds = {} if self.admin_url == self.url else {"admin": self.admin_url}
        return {"SQLALCHEMY_DATABASE_URI": self.url, "SQLALCHEMY_BINDS": binds}


@contextmanager
def fresh_postgres(server_url: str) -> Iterator[Database]:
    """A fresh database with two roles of its own, as production has them (README,
    "Security"): the owner, which migrates it (DATABASE_ADMIN_URL), and the runtime role the
    app connects as (DATABASE_URL); neither is superuser or BYPASSRLS. All are dropped after."""
    suffix = uuid.uuid4().hex[:12]
    roles = {kind: (f"tessera_{kind}_{suffix}", secrets.token_urlsafe(16))
             for kind in ("owner", "app")}
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            for name, password in roles.values():
                connection.exec_driver_sql(
                    f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' "
                    "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
        with fresh_postgres_database(server_url, owner=roles["owner"][0]) as url:
            as_role = {kind: make_url(url).set(username=name, password=password)
                       .render_as_string(hide_password=False)
                       for kind, (name, password) in roles.items()}
            yield Database(as_role["app"], as_role["owner"])
    finally:
        with server.connect() as connection:
            for name, _ in roles.values():
                connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        server.dispose()
