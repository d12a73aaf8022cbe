"""Database faults: cut the API's database connection through a TCP proxy the test controls.

While it is cut, requests that need the database answer 503 with a problem (or
RFC 6749) document and no traceback; once it is back the API recovers by itself,
and nothing acknowledged before the cut is lost.
"""
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.live import free_port, seed_live_tenant, uwsgi
from tests.services import fresh_postgres, postgres_server_url, require


class TcpProxy:
    """Forwards a local port to PostgreSQL until cut; restores on demand."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.sockets: list[socket.socket] = []
        self.listener = None
        self.restore()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        except OSError:
            pass
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


@pytest.fixture
def api_behind_proxy():
    server = postgres_server_url()
    require(server is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    with fresh_postgres(server) as database:
        seeded = seed_live_tenant(database)
        parsed = make_url(database.url)
        proxy = TcpProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxied = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # One worker: a pooled connection that died with the database fails the one request
        # that finds it (and the pool is discarded), so with several workers the first
        # request each one serves after the restore may be a 503, in an order the kernel
        # picks; one worker makes "recovered" exact.
        env = {"DATABASE_URL": proxied, "PUBLIC_API_URL": base}
        try:
            with uwsgi("api", env, port=port, processes=1):
                yield base, proxy, seeded["clients"]["service"]
        finally:
            proxy.cut()


def issue(base, client):
    return requests.post(f"{base}/t/live/token", auth=client, timeout=15,
                         data={"grant_type": "client_credentials"})


def test_database_cut_gives_503s_then_recovers_without_restart(api_behind_proxy):
    base, proxy, client = api_behind_proxy
    before = issue(base, client)
    assert before.status_code == 200
    token = before.json()["access_token"]
    proxy.cut()
    cut_token = issue(base, client)
    assert cut_token.status_code == 503 and "access_token" not in cut_token.text
    me = requests.get(f"{base}/t/live/api/v1/me", timeout=15,
                      headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 503
    assert me.headers["Content-Type"].startswith("application/problem+json")
    assert "Traceback" not in me.text and "psycopg2" not in me.text
    assert requests.get(f"{base}/health", timeout=5).status_code == 200
    assert requests.get(f"{base}/health/ready", timeout=15).status_code == 503
    proxy.restore()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if requests.get(f"{base}/health/ready", timeout=15).status_code == 200:
            break
        time.sleep(0.5)
    statuses = [issue(base, client).status_code for _ in range(4)]
    assert statuses == [200] * 4, statuses
    recovered = requests.get(f"{base}/t/live/api/v1/me", timeout=15,
                             headers={"Authorization": f"Bearer {token}"})
    assert recovered.status_code == 200  # acknowledged before the cut, still there
    assert urlsplit(base).hostname == "127.0.0.1"
