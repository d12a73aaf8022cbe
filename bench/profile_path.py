"""Where one scenario's time goes: the API in-process on PostgreSQL, under cProfile.

    python bench/profile_path.py SCENARIO [--requests 300] [--top 30] [--sort tottime]

SCENARIO is one of oauth_load.py's: client_credentials, "GET /me", introspection,
refresh, password. The database is seeded as oauth_load.py seeds it; requests go
through Flask's test client (no uWSGI, no HTTP), first unprofiled, to print CPU
and wall milliseconds and SQL statements per request, then under cProfile, to
print the top functions. Use it next to oauth_load.py when a target is missed.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from oauth_load import PASSWORD, TARGETS, USERS, seed  # noqa: E402

from api.app import create_app  # noqa: E402
from api.extensions import db  # noqa: E402
from tests.services import fresh_postgres_database  # noqa: E402


def scenarios(http, creds: dict, refresh_tokens: list[str]) -> dict:
    """Each scenario as a function of the request number."""
    def basic(name):
        return {"Authorization": f"Basic {creds[name]}"}

    access = http.post("/t/bench/token", data={"grant_type": "client_credentials"},
                       headers=basic("service")).json["access_token"]
    return {
        "client_credentials": lambda n: http.post(
            "/t/bench/token", data={"grant_type": "client_credentials"}, headers=basic("service")),
        "GET /me": lambda n: http.get("/t/bench/api/v1/me",
                                      headers={"Authorization": f"Bearer {access}"}),
        "introspection": lambda n: http.post("/t/bench/introspect", data={"token": access},
                                             headers=basic("service")),
        "refresh": lambda n: http.post("/t/bench/token", headers=basic("legacy"), data={
            "grant_type": "refresh_token", "refresh_token": refresh_tokens.pop()}),
        "password": lambda n: http.post("/t/bench/token", headers=basic("legacy"), data={
            "grant_type": "password", "scope": "openid", "password": PASSWORD,
            "username": f"user{n % USERS}@bench.example"}),
    }


def measure(call, requests: int, statements: list[int]) -> tuple[float, float, float]:
    """(wall ms, CPU ms, statements) per request."""
    statements[0] = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for number in range(requests):
        response = call(number)
        assert response.status_code == 200, response.get_data(as_text=True)
    return ((time.perf_counter() - wall) / requests * 1000,
            (time.process_time() - cpu) / requests * 1000, statements[0] / requests)


def run(args) -> None:
    server = os.environ.get("TESSERA_BENCH_DATABASE_URL",
                            "postgresql://postgres@127.0.0.1:5432/postgres")
    with tempfile.TemporaryDirectory() as tmp, fresh_postgres_database(
            server.replace("postgresql://", "postgresql+psycopg2://", 1)) as url:
        creds = seed(url, Path(tmp) / "refresh.txt")
        refresh_tokens = (Path(tmp) / "refresh.txt").read_text().split()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        statements = [0]
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute",
                            lambda *_: statements.__setitem__(0, statements[0] + 1))
        call = scenarios(app.test_client(), creds, refresh_tokens)[args.scenario]
        measure(call, 20, statements)  # warm up: caches, pool, compiled statements
        wall, cpu, per_request = measure(call, args.requests, statements)
        print(f"{args.scenario}: {wall:.2f} ms wall, {cpu:.2f} ms CPU, "
              f"{per_request:.1f} SQL statements per request (in-process, unprofiled)\n")
        profile = cProfile.Profile()
        profile.runcall(measure, call, args.requests, statements)
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=[name for name, target in TARGETS.items() if target])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    run(parser.parse_args())


if __name__ == "__main__":
    main()
