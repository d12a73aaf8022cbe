"""The load generator: the issue's ../shared/peers/dot/load.py, loaded from its path (not
copied), and driven one scenario run at a time, plus the one scenario it cannot express.

load.py builds its scenarios (cc, password, me, introspect) from command-line options:
paths, client credentials, scopes. ``Server`` keeps those options for one server, so
Tessera and the peer are described alike and every request is built, checked and timed by
load.py's own code (closed loop, one keep-alive connection per thread). load.py sends the
same request over and over; refresh-token rotation needs a new token in every request
(and Tessera's password grant several users, see scenarios.py): ``Varying`` hands
load.py's loop a new body on each request.
"""
from __future__ import annotations

import importlib.util
import itertools
import urllib.parse
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace

#: load.py's own option defaults (its argparse), for the options a Server does not set.
LOAD_PY_DEFAULTS = dict(
    token_path="/o/token/", introspect_path="/o/introspect/", me_path="/api/me",
    cc_client=None, pw_client=None, user=None, introspect_client=None,
    introspect_auth="basic", introspect_bearer_scope="introspection", client_auth="basic",
    cc_scope="read", pw_scope="read", me_scope="read", bearer_token=None, extra_headers={},
    timeout=30.0, keepalive=True, insecure=False)
#: Sent once the pool is empty: the server refuses it, and the run counts errors.
EXHAUSTED = b"grant_type=refresh_token&refresh_token=refresh-pool-exhausted"


def load_generator(path: Path) -> ModuleType:
    """load.py as a module."""
    spec = importlib.util.spec_from_file_location("load", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Varying:
    """A token request whose body ``next_body()`` makes anew for every request, checked
    for an ``access_token``; load.py's loop uses it as it uses its own Scenario.
    ``next_body`` is called from load.py's threads at once: see ``pool`` and ``cycle``."""

    def __init__(self, gen: ModuleType, name: str, path: str, headers: dict,
                 next_body: Callable[[], bytes]):
        self.name, self.method, self.path, self.headers = name, "POST", path, headers
        self.check = lambda status, data: gen.expect_json(status, data, "access_token")
        self.next_body = next_body

    @property
    def body(self) -> bytes:
        return self.next_body()


def form(**fields: str) -> bytes:
    """An application/x-www-form-urlencoded body."""
    return urllib.parse.urlencode(fields).encode()


def pool(bodies: list[bytes]) -> Callable[[], bytes]:
    """Each body once (deque.popleft is atomic across threads), then EXHAUSTED."""
    queue = deque(bodies)

    def next_body() -> bytes:
        try:
            return queue.popleft()
        except IndexError:
            return EXHAUSTED
    return next_body


def cycle(bodies: list[bytes]) -> Callable[[], bytes]:
    """The bodies in turn, forever (itertools.cycle's next is atomic across threads)."""
    return itertools.cycle(bodies).__next__


class Server:
    """One server as load.py sees it: a base URL, connections, and load.py's options."""

    def __init__(self, gen: ModuleType, base_url: str, connections: int, **options):
        self.gen = gen
        self.options = SimpleNamespace(**{**LOAD_PY_DEFAULTS, **options},
                                       url=urllib.parse.urlsplit(base_url),
                                       concurrency=connections)

    def scenario(self, kind: str, name: str, **options):
        """load.py's scenario ``kind`` (cc, password, me, introspect) under ``name``, with
        ``options`` over the server's; load.py tries it once (and exits if it fails)."""
        args = SimpleNamespace(**{**vars(self.options), **options, "scenarios": [kind]})
        scenario, = self.gen.build_scenarios(args)
        scenario.name = name
        return scenario

    def get(self, name: str, path: str):
        """A plain GET answered with JSON (no credentials), tried once."""
        return self._tried(self.gen.Scenario(name, "GET", path, None, {},
                                             lambda status, data: self.gen.expect_json(
                                                 status, data)))

    def varying(self, name: str, path: str, client: tuple[str, str],
                next_body: Callable[[], bytes]):
        """A token request by ``client`` with a new body each time, tried once."""
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json", "Authorization": self.gen.basic(client)}
        return self._tried(Varying(self.gen, name, path, headers, next_body))

    def run(self, scenario, seconds: float) -> dict:
        """One closed-loop run of load.py: req/s, p50_ms, p99_ms, errors, error_kinds, ..."""
        return self.gen.run(self.options, scenario, seconds)

    def _tried(self, scenario):
        status, data = self.gen.one_shot(self.options, scenario.method, scenario.path,
                                         scenario.body, scenario.headers)
        problem = scenario.check(status, data)
        if problem:
            raise SystemExit(f"preflight {scenario.name}: {scenario.method} {scenario.path} "
                             f"-> {problem}: {data[:300]!r}")
        return scenario
