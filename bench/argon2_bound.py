"""The argon2id bound of the password grant, measured in the same run: argon2id
verifications per second with the API's own hasher (api.users.passwords, OWASP
parameters) on every core at once, i.e. cores / one verification's time.

A password grant verifies one password, so no server can answer more of them per second
on this machine; the issue's target is a share of this bound.
"""
from __future__ import annotations

import multiprocessing
import os
import time

from api.users.passwords import hash_password, verify_password

_PASSWORD = "argon2id bound probe"
_stored: list[str] = []


def _verify(times: int) -> None:
    if not _stored:
        _stored.append(hash_password(_PASSWORD))
    for _ in range(times):
        verify_password(_stored[0], _PASSWORD)


class Argon2Bound:
    """A process per core, kept between measurements (start it before any thread)."""

    def __init__(self, verifications_per_core: int = 20):
        self.cores = os.cpu_count() or 1
        self.per_core = verifications_per_core
        self.pool = multiprocessing.get_context("fork").Pool(self.cores)
        self.pool.map(_verify, [1] * self.cores, chunksize=1)  # hash made, memory touched

    def measure(self) -> dict:
        """One measurement, shaped like a load.py run: req/s is the bound, p50 one
        verification's time on a busy core."""
        started = time.perf_counter()
        self.pool.map(_verify, [self.per_core] * self.cores, chunksize=1)
        wall = time.perf_counter() - started
        return {"rps": self.cores * self.per_core / wall, "p50_ms": wall / self.per_core * 1000,
                "p99_ms": float("nan"), "errors": 0, "error_kinds": {}}

    def __enter__(self) -> Argon2Bound:
        return self

    def __exit__(self, *exc) -> None:
        self.pool.terminate()
        self.pool.join()
