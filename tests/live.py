"""Run the real apps under uWSGI for tests that talk HTTP to them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from api import audit
from api.app import create_app
from api.clients.services import create_client
from api.db import tenant_scope
from api.extensions import db
from api.rbac.permissions import ALL
from api.tenancy.services import create_tenant
from api.users.services import create_user
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
UWSGI = Path(sys.executable).parent / "uwsgi"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def uwsgi(section: str, env: dict[str, str], timeout: float = 20, port: int | None = None,
          processes: int | None = 2) -> Iterator[str]:
    """Serve ``uwsgi.ini:<section>`` on a loopback port (a free one by default); yields its URL.

    ``processes=None`` keeps uwsgi.ini's own sizing.
    """
    port = port or free_port()
    bind_var = {"api": "API_HTTP", "frontend": "FRONTEND_HTTP"}[section]
    process_env = {**os.environ, "TESSERA_ENV": "testing", **env,
                   bind_var: f"127.0.0.1:{port}"}
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as log:
        extra = ["--processes", str(processes)] if processes else []
        process = subprocess.Popen(
            [str(UWSGI), "--ini", f"uwsgi.ini:{section}", *extra],
            cwd=ROOT, env=process_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(process, log, base_url, timeout)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen, log, base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"uWSGI exited early:\n{log.read()}")
        try:
            requests.get(f"{base_url}/health", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"uWSGI did not answer on {base_url} within {timeout}s")


CALLBACK = "http://127.0.0.1:9999/callback"
#: A client name that must show as text, never run.
XSS_NAME = "<script>alert('owned')</script>"


@dataclass
class LiveTenant:
    base_url: str
    issuer: str
    slug: str
    frontend_key: str
    clients: dict  # name -> (client_id, secret)
    owner: str = "owner@live.example"
    password: str = PASSWORD


@dataclass
class LiveStack:
    api_url: str
    frontend_url: str
    tenant: LiveTenant

    @property
    def issuer(self) -> str:
        return f"{self.api_url}/t/{self.tenant.slug}"


def seed_live_tenant(url: str) -> dict:
    """Migrate ``url`` and commit a tenant "live" with users and one client per grant."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    clients = {}
    with app.app_context():
        upgrade()
        tenant, _ = create_tenant("live", "Live", "owner@live.example", PASSWORD, audit.OPERATOR,
                                  app.config["PUBLIC_FRONTEND_URL"])
        with tenant_scope(db.session, tenant.id):
            for name in ("user0", "user1", "user2", "user3", "victim"):
                create_user(f"{name}@live.example", PASSWORD, "user", audit.OPERATOR)
            for name, grants, scope, uris, public in [
                ("service", ["client_credentials"], "projects:read users:read", [], False),
                ("web", ["authorization_code", "refresh_token"],
                 "openid email profile:read projects:read", [CALLBACK], False),
                ("legacy", ["password", "refresh_token"], "openid projects:read", [], False),
                ("spa", ["authorization_code", "refresh_token"], "openid projects:read",
                 [CALLBACK], True),
                ("admin-cli", ["password"], "openid " + " ".join(ALL), [], False),
                (XSS_NAME, ["authorization_code"], "openid", [CALLBACK], False),
            ]:
                client, secret = create_client(name, grants, scope, uris, public, audit.OPERATOR)
                clients[name] = (client.client_id, secret)
        key = app.config["FRONTEND_API_KEY"]
        db.session.remove()
        db.engine.dispose()
    return {"clients": clients, "frontend_key": key}
