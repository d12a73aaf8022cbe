"""Tessera's speed against the issue's targets and, in the same run, against a peer server
(django-oauth-toolkit by default), with the same load generator.

    python bench/oauth_load.py [--duration 10] [--repeat 3] [--connections 8] [--warmup 2]
                               [--large] [--stack] [--peer-url URL | --no-peer]
                               [--only ROW [ROW ...]]
                               [--load-py PATH] [--processes N]

Creates a fresh PostgreSQL database on TESSERA_BENCH_DATABASE_URL (default: the server on
127.0.0.1:5432), seeds it (seed.py), serves uwsgi.ini:api on it in production mode, and
measures the scenarios (scenarios.py) with ../shared/peers/dot/load.py (loadgen.py): a
warm-up of each, then --repeat rounds, each one run of every scenario on every server (a
scenario on all of them back to back, so that they are compared under the same load of the
machine, each round starting with another server) and one measurement of the argon2id bound
(argon2_bound.py); medians. --stack adds the production topology on the same database
(stack.py); --large adds a second database grown to the issue's sizes (large.py) and
compares the two. The peer (default
http://127.0.0.1:18001, skipped when it does not answer) runs its scenarios in the same
rounds. Prints a table per Tessera deployment (report.py) and exits 1 when a target is
missed. The databases are dropped and the servers stopped at the end. --only measures
some rows (by the short names in scenarios.ONLY, /health always) while working on them;
its table leaves the others out. Each Tessera table is followed by where its CPU went
(cpu.py): milliseconds per request by kind of process, and, for the targets that are a
share of /health, the CPU per request the target allows.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import cpu
import report
import scenarios
import support
from argon2_bound import Argon2Bound
from large import seed_large
from loadgen import form, load_generator, pool
from seed import seed
from stack import nginx_stack

DEFAULT_PEER = "http://127.0.0.1:18001"
DEFAULT_LOAD_PY = support.ROOT.parent / "shared" / "peers" / "dot" / "load.py"
#: Refresh tokens seeded per second of refresh runs: more than any server here refreshes.
REFRESH_PER_SECOND = 1500
#: Idle seconds between runs (load.py's default).
PAUSE = 1.0
DIRECT = "Tessera: uwsgi.ini:api"
STACK = "Tessera behind nginx (make stack)"
LARGE = "Tessera: uwsgi.ini:api, large database"
PEER = "peer"


def deploy_tessera(stack: ExitStack, gen, args) -> dict:
    """Seed, serve, and describe each Tessera deployment: name -> (Server, scenarios)."""
    server_url = support.database_server()
    refresh_seconds = args.warmup + args.duration * args.repeat
    plain = stack.enter_context(support.fresh_database(server_url))
    servers_on_plain = 2 if args.stack else 1
    fixture = seed(plain, math.ceil(REFRESH_PER_SECOND * refresh_seconds * servers_on_plain))
    shared_pool = refresh_pool(fixture.refresh_tokens)  # the stack serves the same rows
    bases = {DIRECT: (stack.enter_context(support.serve_api(plain, args.processes)), fixture,
                      shared_pool)}
    if args.stack:
        bases[STACK] = (stack.enter_context(nginx_stack(plain)), fixture, shared_pool)
    if args.large:
        large = stack.enter_context(support.fresh_database(server_url))
        large_fixture = seed(large, math.ceil(REFRESH_PER_SECOND * refresh_seconds))
        seed_large(large.admin_url)
        bases[LARGE] = (stack.enter_context(support.serve_api(large, args.processes)),
                        large_fixture, refresh_pool(large_fixture.refresh_tokens))
    return {name: scenarios.only(scenarios.tessera(gen, base, args.connections, fixture, pool),
                                 args.only)
            for name, (base, fixture, pool) in bases.items()}


def refresh_pool(tokens: list[str]):
    """Each refresh token in one request body, each body once (``loadgen.pool``)."""
    return pool([form(grant_type="refresh_token", refresh_token=token) for token in tokens])


def peer_url(args) -> str | None:
    """The peer to measure: --peer-url, else the DOT harness's address if it answers."""
    if args.no_peer:
        return None
    url = args.peer_url or DEFAULT_PEER
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        pass  # it answers
    except OSError:
        if args.peer_url:
            raise SystemExit(f"the peer at {url} does not answer")
        print(f"no peer answers at {url} (bash ../shared/peers/dot/serve.sh starts the "
              "django-oauth-toolkit one): measuring Tessera alone", flush=True)
        return None
    return url


def measure(targets: dict, bound: Argon2Bound, args) -> tuple[dict, dict]:
    """A warm-up of every scenario, then --repeat rounds of one run of each on every
    target and one of the bound; medians by target and scenario, and the bound's."""
    for server, runs in targets.values():
        for scenario in runs.values():
            server.run(scenario, args.warmup)
    results = {name: {row: [] for row in runs} for name, (_, runs) in targets.items()}
    bounds = []
    for number in range(1, args.repeat + 1):
        bounds.append(bound.measure())
        print(f"round {number}/{args.repeat}  {report.BOUND}: {bounds[-1]['rps']:.1f}/s",
              flush=True)
        for name, server, row, scenario in _interleaved(targets, number):
            before = cpu.reading()
            result = server.run(scenario, args.duration)
            result["cpu"] = cpu.per_request(before, cpu.reading(),
                                            max(1, result["ok"] + result["errors"]))
            results[name][row].append(result)
            print(f"round {number}/{args.repeat}  {name}: {row}: {result['rps']:.1f} req/s, "
                  f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                  f"errors {result['errors']} {result['error_kinds'] or ''}", flush=True)
            time.sleep(PAUSE)
    return ({name: {row: _median(runs) for row, runs in rows.items()}
             for name, rows in results.items()}, _median(bounds))


def _interleaved(targets: dict, number: int):
    """(target, server, row, scenario): each scenario on every target back to back, so that
    what the shared machine does meanwhile weighs alike on the figures compared; round
    ``number`` starts with a different target each time, so that none is always measured
    right after the same one (a write-heavy run leaves the server work to catch up on)."""
    rows = dict.fromkeys(row for _, runs in targets.values() for row in runs)
    names = list(targets)
    shift = (number - 1) % len(names)
    for row in rows:
        for name in names[shift:] + names[:shift]:
            server, runs = targets[name]
            if row in runs:
                yield name, server, row, runs[row]


def _median(runs: list[dict]) -> dict:
    median = {"rps": statistics.median(r["rps"] for r in runs),
              "p50_ms": statistics.median(r["p50_ms"] for r in runs),
              "p99_ms": statistics.median(r["p99_ms"] for r in runs),
              "errors": sum(r["errors"] for r in runs)}
    if "cpu" in runs[0]:
        median["cpu"] = {kind: statistics.median(r["cpu"][kind] for r in runs)
                         for kind in cpu.KINDS}
    return median


def run(args) -> int:
    if not args.load_py.is_file():
        raise SystemExit(f"no load generator at {args.load_py} (--load-py)")
    support.use_production_settings()
    gen = load_generator(args.load_py)
    peer = peer_url(args)
    with ExitStack() as stack:
        bound = stack.enter_context(Argon2Bound())  # forks: before any thread
        targets = deploy_tessera(stack, gen, args)
        if peer:
            targets[PEER] = scenarios.only(scenarios.peer(gen, peer, args.connections, {
                key: getattr(args, f"peer_{key}") for key in scenarios.PEER_DEFAULTS}),
                args.only)
        print(f"\n# {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}; load generator {args.load_py}, "
              f"{args.connections} connections, {args.repeat} interleaved {args.duration:g} s "
              f"runs, medians; peer: {peer or 'none'}", flush=True)
        medians, bound_median = measure(targets, bound, args)
    met = []
    for name in medians:
        if name != PEER:
            met.append(report.table(name, medians[name], bound_median, medians.get(PEER)))
            report.cpu_table(name, medians[name])
    if args.large:
        met.append(report.compare_large(medians[DIRECT], medians[LARGE]))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    return 0 if all(met) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per run")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2, help="seconds, once per scenario")
    parser.add_argument("--large", action="store_true",
                        help="also measure a database of 10,000 tenants, 1,000,000 tokens and "
                             "100,000 users in the measured tenant, and compare")
    parser.add_argument("--stack", action="store_true",
                        help="also measure through nginx and two API instances (bin/stack)")
    parser.add_argument("--processes", type=int, help="uWSGI processes (default: uwsgi.ini)")
    parser.add_argument("--load-py", type=Path, default=DEFAULT_LOAD_PY)
    parser.add_argument("--peer-url", help=f"default {DEFAULT_PEER} when it answers")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--only", nargs="+", choices=sorted(scenarios.ONLY),
                        help="measure these rows (and /health) only")
    for key, default in scenarios.PEER_DEFAULTS.items():
        parser.add_argument(f"--peer-{key.replace('_', '-')}", default=default,
                            help=f"default {default}")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
