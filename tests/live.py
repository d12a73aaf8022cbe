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
from pathlib import Path

import requests

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
