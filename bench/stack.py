"""Tessera in its production topology, for the benchmark: bin/stack (nginx on loopback
speaking the uwsgi protocol to two API instances, as `make stack` runs it), with the load
generator's address (127.0.0.1) exempt from the token endpoint's rate limit, or the 429s
would be all it measures.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from support import ROOT, Database, free_port, free_port_base, wait_until_answering

#: bin/stack's uwsgi sockets are STACK_SOCKET_BASE plus these.
SOCKET_OFFSETS = (1, 2, 11)


@contextmanager
def nginx_stack(database: Database) -> Iterator[str]:
    """``bin/stack start`` on ``database`` on free ports; yields the API's base URL
    behind nginx; ``bin/stack stop`` afterwards."""
    if shutil.which("nginx") is None:
        raise SystemExit("--stack needs nginx: apt-get install nginx")
    api_port = free_port()
    base_url = f"http://127.0.0.1:{api_port}"
    env = {**os.environ, **database.env, "PUBLIC_API_URL": base_url,
           "STACK_API_PORT": str(api_port), "STACK_FRONTEND_PORT": str(free_port()),
           "STACK_SOCKET_BASE": str(free_port_base(SOCKET_OFFSETS)),
           "RATE_LIMIT_EXEMPT": "127.0.0.1"}
    command = [sys.executable, str(ROOT / "bin" / "stack")]
    started = subprocess.run([*command, "start"], cwd=ROOT, env=env, capture_output=True,
                             text=True)
    try:
        if started.returncode:
            raise RuntimeError(f"bin/stack start failed:\n{started.stderr}")
        wait_until_answering(f"{base_url}/health/ready", timeout=60)
        yield base_url
    finally:
        subprocess.run([*command, "stop"], cwd=ROOT, env=env, capture_output=True)
