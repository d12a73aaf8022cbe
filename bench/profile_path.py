"""Where one scenario's time goes: the API in-process on PostgreSQL, under cProfile.

    python bench/profile_path.py SCENARIO [--requests 300] [--top 30] [--sort tottime]

SCENARIO is one of oauth_load.py's: cc, cc-es256, me, projects, introspect, refresh,
password, or health (the floor: ``GET /health``). The database is seeded as oauth_load.py
seeds it (seed.py), and the API connects as its runtime role, as in production; requests go
through Flask's test client (no uWSGI, no HTTP), first unprofiled, to print CPU and wall
milliseconds and SQL statements per request (those through SQLAlchemy; the bearer check's
prepared statement goes round it), then under cProfile, to print the top functions. Use it
next to oauth_load.py when a target is missed. It runs in production mode, as oauth_load.py
does: the API's JSON request log goes to stderr.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import sqlalchemy as sa

from api.app import create_app
from api.extensions import db
from seed import ES256_TENANT, MEASURED, PASSWORD, SCOPE, USER_EMAIL, Fixture, seed
from support import database_server, fresh_database, use_production_settings

SCENARIOS = ("cc", "cc-es256", "me", "projects", "introspect", "refresh", "password",
             "health")


def scenarios(http, fixture: Fixture) -> dict:
    """Each scenario as a function of the request number."""
    issuer = f"/t/{MEASURED}"
    service = fixture.service[MEASURED]
    password = {"grant_type": "password", "username": USER_EMAIL, "password": PASSWORD,
                "scope": SCOPE}
    access = http.post(f"{issuer}/token", auth=fixture.legacy, data=password
                       ).json["access_token"]
    bearer = {"Authorization": f"Bearer {access}"}
    return {
        "cc": lambda n: http.post(f"{issuer}/token", auth=service,
                                  data={"grant_type": "client_credentials"}),
        "cc-es256": lambda n: http.post(f"/t/{ES256_TENANT}/token",
                                        auth=fixture.service[ES256_TENANT],
                                        data={"grant_type": "client_credentials"}),
        "me": lambda n: http.get(f"{issuer}/api/v1/me", headers=bearer),
        "projects": lambda n: http.get(f"{issuer}/api/v1/projects", headers=bearer),
        "introspect": lambda n: http.post(f"{issuer}/introspect", auth=service,
                                          data={"token": access}),
        "refresh": lambda n: http.post(f"{issuer}/token", auth=fixture.legacy, data={
            "grant_type": "refresh_token", "refresh_token": fixture.refresh_tokens.pop()}),
        "password": lambda n: http.post(f"{issuer}/token", auth=fixture.legacy, data=password),
        "health": lambda n: http.get("/health"),
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
    use_production_settings()
    with fresh_database(database_server()) as database:
        fixture = seed(database, refresh_tokens=2 * args.requests + 20)
        app = create_app(database.config)
        statements = [0]
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute",
                            lambda *_: statements.__setitem__(0, statements[0] + 1))
        call = scenarios(app.test_client(), fixture)[args.scenario]
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
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    run(parser.parse_args())


if __name__ == "__main__":
    main()
