"""What the benchmark needs around Tessera: its secrets, free ports, a throwaway PostgreSQL
database, and ``uwsgi.ini:api`` served on a loopback port.

bench/ keeps these to itself (the test suite has its own in tests/), so changing one
never breaks the other.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from api.config import database_uri

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def use_production_settings() -> None:
    """Run as production does, with secrets made up for this run (unless already set);
    the seeding in this process and the servers it starts share them."""
    os.environ.setdefault("TESSERA_ENV", "production")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.setdefault("FRONTEND_API_KEY", secrets.token_urlsafe(48))


def database_server() -> str:
    """The PostgreSQL server to create databases on (TESSERA_BENCH_DATABASE_URL)."""
    return database_uri(os.environ.get("TESSERA_BENCH_DATABASE_URL", DEFAULT_SERVER), "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_base(offsets: tuple[int, ...]) -> int:
    """A base port such that base + each offset is free, below the kernel's ephemeral
    range (where outgoing connections could take one of them meanwhile)."""
    for base in range(20000, 30000, 97):
        try:
            for offset in offsets:
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports between 20000 and 30000")


@dataclass(frozen=True)
class Database:
    """A benchmark database: the app serves as ``url``'s role (neither superuser nor
    BYPASSRLS, so row-level security holds as in production), migrations and seeding run
    as ``admin_url``'s (the server's user)."""

    url: str
    admin_url: str

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "DATABASE_ADMIN_URL": self.admin_url}

    @property
    def config(self) -> dict:
        """create_app's overrides for this database (what :attr:`env` sets)."""
        return {"SQLALCHEMY_DATABASE_URI": self.url, "SQLALCHEMY_BINDS": {"admin": self.admin_url}}


@contextmanager
def fresh_database(server_url: str) -> Iterator[Database]:
    """A new, empty database on the server with a runtime role of its own; both dropped
    (connections and all) afterwards."""
    name = f"tessera_bench_{uuid.uuid4().hex[:12]}"
    password = secrets.token_urlsafe(16)
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        connection.exec_driver_sql(f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' "
                                   "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
    try:
        url = make_url(server_url).set(database=name)
        yield Database(url.set(username=name, password=password)
                       .render_as_string(hide_password=False),
                       url.render_as_string(hide_password=False))
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()


def wait_until_answering(url: str, timeout: float, process: subprocess.Popen | None = None,
                         log=None) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"the server exited early:\n{log.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def serve_api(database: Database, processes: int | None = None,
              timeout: float = 60) -> Iterator[str]:
    """``uwsgi --ini uwsgi.ini:api`` on a free loopback port, on ``database``; yields
    its base URL. ``processes=None`` keeps uwsgi.ini's sizing (CPU count x 2 threads)."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, **database.env, "PUBLIC_API_URL": base_url,
           "API_HTTP": f"127.0.0.1:{port}"}
    extra = ["--processes", str(processes)] if processes else []
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen([str(VENV_BIN / "uwsgi"), "--ini", "uwsgi.ini:api", *extra],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_answering(f"{base_url}/health/ready", timeout, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
