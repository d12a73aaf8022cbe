"""Run the real apps under uWSGI for tests that talk HTTP to them."""
from __future__ import annotations

import functools
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

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
from tests.services import Database

ROOT = Path(__file__).resolve().parent.parent
UWSGI = Path(sys.executable).parent / "uwsgi"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class UwsgiServer:
    """A running uWSGI master: its URL, its process and the file its output goes to."""
    url: str
    process: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def uwsgi(section: str, env: dict[str, str], timeout: float = 20, port: int | None = None,
          processes: int | None = 2) -> Iterator[str]:
    """Serve ``uwsgi.ini:<section>`` on a loopback port (a free one by default); yields its URL.

    ``processes=None`` keeps uwsgi.ini's own sizing.
    """
    with uwsgi_section(section, env, timeout, port, processes) as server:
        yield server.url


@contextmanager
def uwsgi_section(section: str, env: dict[str, str], timeout: float = 20,
                  port: int | None = None, processes: int | None = 2) -> Iterator[UwsgiServer]:
    """:func:`uwsgi`, yielding the running server rather than its URL."""
    port = port or free_port()
    bind_var = {"api": "API_HTTP", "frontend": "FRONTEND_HTTP"}[section]
    process_env = {**os.environ, "TESSERA_ENV": "testing", **env,
                   bind_var: f"127.0.0.1:{port}"}
    extra = ["--processes", str(processes)] if processes else []
    with uwsgi_server([str(UWSGI), "--ini", f"uwsgi.ini:{section}", *extra], process_env,
                      f"http://127.0.0.1:{port}", timeout=timeout) as server:
        yield server


@contextmanager
def uwsgi_server(command: list[str], env: dict[str, str], url: str, timeout: float = 20,
                 cwd: Path = ROOT) -> Iterator[UwsgiServer]:
    """Run ``command`` (a uWSGI master) until ``url``/health answers; stop it afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        log_path = Path(folder) / "uwsgi.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        server = UwsgiServer(url, process, log_path)
        try:
            _wait_until_up(server, timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(server: UwsgiServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"uWSGI exited early:\n{server.output()}")
        try:
            requests.get(f"{server.url}/health", timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"uWSGI did not answer on {server.url} within {timeout}s")


def _workers_ready(output: str) -> bool:
    spawned = output.count("spawned uWSGI worker")
    return spawned > 0 and output.count("WSGI app 0 (mountpoint='') ready") >= spawned


def reload_gracefully(server: UwsgiServer, timeout: float = 30) -> None:
    """SIGHUP the master (uwsgi.ini's graceful reload); return once the new one serves.

    The master re-executes itself: under pyuwsgi that is the virtualenv's Python, which
    uwsgi.ini names (``binary-path``). A reload that cannot start it ends the master.
    """
    deadline = time.monotonic() + timeout
    # A worker still loading its app (lazy-apps) sits out a graceful reload's whole
    # worker-reload-mercy (20 s): signal once every worker has its app.
    while not _workers_ready(server.output()) and time.monotonic() < deadline:
        time.sleep(0.1)
    before = len(server.output())
    server.process.send_signal(signal.SIGHUP)
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"uWSGI exited on a reload:\n{server.output()}")
        if "binary reloading uWSGI" in server.output()[before:]:
            try:  # workers of the old master are gone: this is the new one answering
                requests.get(f"{server.url}/health", timeout=2).raise_for_status()
                return
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"uWSGI did not serve again within {timeout}s of a reload:\n"
                       f"{server.output()[before:]}")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def _serve(handler) -> Iterator[str]:
    """Serve ``handler`` on a loopback port of its own, in a thread; yields the URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """Serve the files of ``folder`` on a loopback port of its own (a single-page app's
    origin); yields its URL."""
    with _serve(functools.partial(_QuietHandler, directory=str(folder))) as url:
        yield url


@contextmanager
def recording_server(statuses: list[int] | None = None,
                     document: dict | None = None) -> Iterator[tuple[str, list[dict]]]:
    """A loopback HTTP server (a client's own endpoints) that records every request (method,
    path, headers, form body). POSTs get ``statuses`` in turn (then 200); GETs get
    ``document`` as JSON. Yields its URL and the list it records into."""
    received: list[dict] = []
    answers = list(statuses or [])
    body = json.dumps(document).encode()

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self._record()
            self.send_response(answers.pop(0) if answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            self._record()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _record(self):
            form = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            received.append({"method": self.command, "path": self.path,
                             "headers": dict(self.headers),
                             "form": {k: v[0] for k, v in parse_qs(form).items()}})

        def log_message(self, format, *args) -> None:
            pass

    with _serve(Recorder) as url:
        yield url, received


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
    #: DATABASE_URL and DATABASE_ADMIN_URL, for more processes on the same database.
    database_env: dict = field(default_factory=dict)
    owner: str = "owner@live.example"
    password: str = PASSWORD
    #: The MailCatcher the API mails to.
    mailbox: object = None


@dataclass
class LiveStack:
    api_url: str
    frontend_url: str
    tenant: LiveTenant

    @property
    def issuer(self) -> str:
        return f"{self.api_url}/t/{self.tenant.slug}"


@dataclass
class MailStack(LiveStack):
    """A live stack whose API mails through SMTP to ``mailbox`` (a MailCatcher)."""

    mailbox: object = None
    database: object = None


def seed_live_tenant(database: Database) -> dict:
    """Migrate ``database`` and commit a tenant "live" with users and one client per grant."""
    from flask_migrate import upgrade

    app = create_app(database.config)
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
        for engine in db.engines.values():
            engine.dispose()
    return {"clients": clients, "frontend_key": key}
