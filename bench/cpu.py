"""Where a run's CPU goes: CPU seconds by kind of process, per request.

On these machines every scenario saturates the cores, so a row's req/s is the inverse of
the CPU one of its requests costs everything on the machine, and "% of /health" is a ratio
of CPU per request. Each run is bracketed by two readings of /proc: the CPU time (user and
system) of every process, summed by kind: uWSGI (Tessera's API instances, the peer's too),
nginx, PostgreSQL (the whole server: backends and background writers), the load
generator (this process: load.py runs in its threads) and everything else on the machine
(which should stay near zero: a test suite running meanwhile shows there). A process that
starts or ends within a run counts from its first or until its last reading.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

KINDS = ("uWSGI", "nginx", "PostgreSQL", "load generator", "other")
_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")


def reading() -> dict[int, tuple[str, float]]:
    """pid -> (kind, CPU seconds so far) for every process, this one by its own clock."""
    seen = {}
    own = os.getpid()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == own:
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        seen[int(entry.name)] = (_kind(command), (int(fields[11]) + int(fields[12])) / _TICKS)
    seen[own] = ("load generator", time.process_time())
    return seen


def per_request(before: dict, after: dict, requests: float) -> dict[str, float]:
    """Milliseconds of CPU per request by kind between two readings."""
    spent = dict.fromkeys(KINDS, 0.0)
    for pid, (kind, seconds) in after.items():
        spent[kind] += seconds - before.get(pid, (kind, 0.0))[1]
    return {kind: 1000 * seconds / requests for kind, seconds in spent.items()}


def _kind(command: bytes) -> str:
    program = command.split(b"\0", 1)[0]
    if b"uwsgi" in command:
        return "uWSGI"
    if program.startswith(b"nginx"):
        return "nginx"
    if program.startswith(b"postgres") or program.endswith(b"/postgres"):
        return "PostgreSQL"
    return "other"
