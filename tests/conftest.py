"""Fixture chain: database → app (migrated) → db (per-test transaction) → factories → client."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

os.environ["TESSERA_ENV"] = "testing"
os.environ.pop("DATABASE_URL", None)
os.environ.pop("DATABASE_ADMIN_URL", None)

from api.app import create_app  # noqa: E402
from api.extensions import db as _db  # noqa: E402
from tests.live import (LiveStack, LiveTenant, MailStack, free_port, seed_live_tenant,  # noqa: E402
                        uwsgi)
from tests.mailcatcher import MailCatcher  # noqa: E402
from tests.services import Database, fresh_postgres, postgres_server_url, require  # noqa: E402


@contextmanager
def fresh_database(tmp_path_factory):
    """A new empty Database: on the PostgreSQL server (with a runtime role of its own) when
    configured, else an SQLite file."""
    server = postgres_server_url()
    if server is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'tessera.db'}"
        yield Database(url, url)
        return
    with fresh_postgres(server) as database:
        yield database


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A fresh database for this run: PostgreSQL when configured, SQLite otherwise."""
    with fresh_database(tmp_path_factory) as database:
        yield database


@pytest.fixture(scope="session")
def app(database, tmp_path_factory):
    """The API app on the run's database (as the runtime role), migrated to head with Alembic
    (as the admin role); its mails (without SMTP_URL) go to a temporary folder."""
    from flask_migrate import upgrade

    app = create_app({**database.config, "MAIL_DIR": str(tmp_path_factory.mktemp("mail"))})
    with app.app_context():
        upgrade()
        _db.session.remove()
    yield app
    with app.app_context():
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture
def empty_database(tmp_path_factory):
    """A database of its own for one test, not migrated."""
    with fresh_database(tmp_path_factory) as database:
        yield database


@pytest.fixture
def empty_app(empty_database):
    """The API on ``empty_database``, with its app context pushed."""
    app = create_app(empty_database.config)
    with app.app_context():
        yield app
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture
def committed_app(empty_app):
    """The API on a migrated database of its own, for tests whose rows must really commit
    (operator work on DATABASE_ADMIN_URL has a connection of its own, which sees only
    committed rows); the app context is pushed."""
    from flask_migrate import upgrade

    upgrade()
    return empty_app


@pytest.fixture
def db(app):
    """``db`` with every session joined to one outer transaction, rolled back after the test."""
    from api.tenancy.services import forget_cached_tenants

    forget_cached_tenants()
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        _db.session.remove()
        factory = _db.session.session_factory
        saved = dict(factory.kw)
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield _db
        finally:
            _db.session.remove()
            forget_cached_tenants()
            factory.kw.clear()
            factory.kw.update(saved)
            transaction.rollback()
            connection.close()


@pytest.fixture
def factories(db):
    from tests import factories

    return factories


@pytest.fixture
def tenant(factories):
    """The tenant most tests act in: ``acme``, owned by owner@acme.io."""
    return factories.tenant("acme", owner_email="owner@acme.io")[0]


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def callers(client, factories, tenant):
    """Callers of the tenant REST API, each holding a real token from a real grant."""
    from tests.helpers import Callers

    return Callers(client, factories, tenant)


@pytest.fixture
def owner(callers):
    return callers.as_user("owner@acme.io")


@pytest.fixture
def postgres():
    """For tests of what only PostgreSQL has (required on CI, else skipped); the tenant cache
    starts and ends empty, since tests on databases of their own each have an "acme"."""
    from api.tenancy.services import forget_cached_tenants

    require(postgres_server_url() is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    forget_cached_tenants()
    yield
    forget_cached_tenants()


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


@pytest.fixture
def mailbox(app, monkeypatch):
    """A real SMTP server on loopback that the app under test sends its mails to."""
    from api.config import smtp_settings

    catcher = MailCatcher().start()
    monkeypatch.setitem(app.config, "SMTP", smtp_settings(catcher.url))
    yield catcher
    catcher.stop()


def pytest_report_header(config):
    server = postgres_server_url()
    return f"database: {'PostgreSQL (fresh database per run)' if server else 'SQLite (fresh file)'}"


# A live API under uWSGI on its own committed database (tests/e2e, tests/frontend).

@contextmanager
def serve_live_tenant(database: Database, **api_env: str):
    """Seed ``database`` and serve the API on it under uWSGI (with ``api_env`` besides),
    mailing to a MailCatcher of its own; yields the LiveTenant."""
    seeded = seed_live_tenant(database)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    mailbox = MailCatcher().start()
    try:
        with uwsgi("api", {**database.env, "PUBLIC_API_URL": base_url,
                           "SMTP_URL": mailbox.url, **api_env}, port=port):
            yield LiveTenant(base_url=base_url, issuer=f"{base_url}/t/live", slug="live",
                             frontend_key=seeded["frontend_key"], clients=seeded["clients"],
                             mailbox=mailbox, database_env=database.env)
    finally:
        mailbox.stop()


@pytest.fixture(scope="session")
def live_database(tmp_path_factory):
    with fresh_database(tmp_path_factory) as database:
        yield database


@pytest.fixture(scope="session")
def live(live_database):
    with serve_live_tenant(live_database) as tenant:
        yield tenant


@pytest.fixture
def isolated_live(tmp_path_factory):
    """A live API on a database of its own, for tests that may wreck their tenant."""
    with fresh_database(tmp_path_factory) as database, serve_live_tenant(database) as tenant:
        yield tenant


@pytest.fixture
def loopback_live(tmp_path_factory):
    """A live API on a database of its own that may call loopback URLs
    (OUTBOUND_ALLOW_PRIVATE), for tests whose clients listen on 127.0.0.1."""
    with fresh_database(tmp_path_factory) as database, \
            serve_live_tenant(database, OUTBOUND_ALLOW_PRIVATE="true") as tenant:
        yield tenant


@contextmanager
def serve_stack(database: Database, api_env: dict | None = None,
                frontend_host: str = "127.0.0.1"):
    """The API on ``database`` (with ``api_env`` besides) and the frontend under uWSGI, each
    knowing the other's address; yields their URLs. The frontend listens on loopback but may
    be called by another name (``localhost``: WebAuthn takes no IP address as RP ID)."""
    frontend_port, api_port = free_port(), free_port()
    frontend_url = f"http://{frontend_host}:{frontend_port}"
    api_url = f"http://127.0.0.1:{api_port}"
    shared = {"PUBLIC_API_URL": api_url, "PUBLIC_FRONTEND_URL": frontend_url,
              "API_INTERNAL_URL": api_url}
    with uwsgi("api", {**shared, **database.env, **(api_env or {})}, port=api_port), \
            uwsgi("frontend", shared, port=frontend_port):
        yield api_url, frontend_url


@pytest.fixture(scope="session")
def live_stack(live, live_database):
    """The frontend under uWSGI beside the live API, each knowing the other's address."""
    mail_to = {"SMTP_URL": live.mailbox.url}
    with serve_stack(live_database, mail_to) as (api_url, frontend_url):
        yield LiveStack(api_url=api_url, frontend_url=frontend_url, tenant=live)


@pytest.fixture(scope="module")
def isolated_stack(tmp_path_factory):
    """The API and the frontend on a database of their own, for tests that may wreck their
    tenant (one per test module)."""
    with stack_on_fresh_database(tmp_path_factory) as stack:
        yield stack


@contextmanager
def stack_on_fresh_database(tmp_path_factory, frontend_host: str = "127.0.0.1", **api_env):
    """A seeded database of its own and the stack on it, mailing to a MailCatcher
    (``stack.mailbox``); yields a MailStack."""
    mailbox = MailCatcher().start()
    try:
        with fresh_database(tmp_path_factory) as database:
            seeded = seed_live_tenant(database)
            env = {"SMTP_URL": mailbox.url, **api_env}
            with serve_stack(database, env, frontend_host) as (api_url, frontend_url):
                tenant = LiveTenant(base_url=api_url, issuer=f"{api_url}/t/live", slug="live",
                                    frontend_key=seeded["frontend_key"],
                                    clients=seeded["clients"], mailbox=mailbox)
                yield MailStack(api_url=api_url, frontend_url=frontend_url, tenant=tenant,
                                mailbox=mailbox, database=database)
    finally:
        mailbox.stop()


@pytest.fixture(scope="module")
def mail_stack(tmp_path_factory):
    """API and frontend under uWSGI on a database of their own, mailing through SMTP to a real
    server on loopback (``mail_stack.mailbox``)."""
    with stack_on_fresh_database(tmp_path_factory, MAIL_FROM="no-reply@tessera.example",
                                 TENANT_CACHE_SECONDS="0") as stack:  # settings hold at once
        yield stack
