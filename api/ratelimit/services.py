"""Atomic fixed-window counting in the database (PostgreSQL and SQLite alike).

Each hit is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so
parallel requests cannot read the same count and both pass the limit. On
PostgreSQL counters are written in their own short transaction, never the
request's (:func:`api.db.independent_transaction`), so they do not hold row
locks while the request does slow work (a password check), and a refused request
that rolls back still counts. There each call is one statement in one message, in
autocommit with ``synchronous_commit`` off (a counter lost in a crash costs nothing), so
it costs one round trip: :func:`hit_guarded` counts the guards and, past none of their
limits, the guarded key in one statement (data-modifying CTEs), and :func:`settle` clears
and gives back in one. SQLite has no such CTEs: there they are statements one after the
other, in one transaction of their own.

A row is keyed by a digest of the caller's key and the window (:func:`_row`),
so it fits its column whatever the key embeds (an email of any length, an address).
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from api.db import independent_transaction
from api.extensions import db
from api.ratelimit.models import ThrottleCounter
from api.security import digest

#: Put in front of each statement on PostgreSQL: the message is its transaction.
_NO_WAIT = "SET LOCAL synchronous_commit TO OFF; "
#: :func:`settle` on PostgreSQL.
_SETTLE = sa.text(
    _NO_WAIT + "WITH cleared AS (DELETE FROM throttle_counters WHERE key = ANY(:clear)) "
    "UPDATE throttle_counters SET hits = hits - 1 WHERE key = ANY(:release) AND hits > 0"
).bindparams(sa.bindparam("clear", type_=postgresql.ARRAY(sa.String)),
             sa.bindparam("release", type_=postgresql.ARRAY(sa.String)))


def _window(window_seconds: int) -> int:
    return int(time.time()) // window_seconds


def _row(key: str, window: int) -> str:
    """The row that counts ``key`` in ``window``."""
    return f"{digest(key)}:{window}"


def hit(key: str, window_seconds: int) -> int:
    """Count one hit for ``key`` in the current window; returns the hits so far."""
    return hit_all([key], window_seconds)[key]


def hit_all(keys: Sequence[str], window_seconds: int) -> dict[str, int]:
    """Count one hit for each key in the current window, in one statement; the hits so far."""
    return hit_guarded(dict.fromkeys(keys), None, window_seconds)


def hit_guarded(guards: Mapping[str, int | None], key: str | None,
                window_seconds: int) -> dict[str, int]:
    """Count one hit for each ``guards`` key (key -> its limit) in the current window and
    then, unless one of them is past its limit, one for ``key``, atomically; the hits so
    far of each key counted (``key`` is missing when it was not)."""
    window = _window(window_seconds)
    names = [*guards, key] if key is not None else list(guards)
    rows = {name: _row(name, window) for name in names}
    expires_at = datetime.fromtimestamp((window + 1) * window_seconds, timezone.utc)
    with independent_transaction(db.session, autocommit=True) as connection:
        if connection.dialect.name == "postgresql":
            parameters = {"expires_at": expires_at, "key": rows.get(key)}
            for number, guard in enumerate(guards):
                parameters.update({f"guard{number}": rows[guard],
                                   f"limit{number}": guards[guard]})
            statement = _statement(len(guards), key is not None)
            counts = dict(connection.execute(statement, parameters).all())
        else:
            counts = _count(connection, [rows[guard] for guard in guards], expires_at)
            if key is not None and all(counts[rows[guard]] <= limit
                                       for guard, limit in guards.items()):
                counts.update(_count(connection, [rows[key]], expires_at))
    return {name: counts[row] for name, row in rows.items() if row in counts}


def _count(connection: sa.Connection, rows: list[str], expires_at: datetime) -> dict[str, int]:
    statement = sqlite.insert(ThrottleCounter).values(
        [{"key": row, "hits": 1, "expires_at": expires_at} for row in rows])
    statement = statement.on_conflict_do_update(
        index_elements=[ThrottleCounter.key], set_={"hits": ThrottleCounter.hits + 1}
    ).returning(ThrottleCounter.key, ThrottleCounter.hits)
    return dict(connection.execute(statement).all())


@lru_cache(maxsize=8)
def _statement(guards: int, guarded: bool) -> sa.TextClause:
    """:func:`hit_guarded` on PostgreSQL, for this many guards and (``guarded``) a key
    behind them: one statement."""
    upsert = ("ON CONFLICT (key) DO UPDATE SET hits = throttle_counters.hits + 1 "
              "RETURNING key, hits")
    values = ", ".join(f"(:guard{number}, 1, :expires_at)" for number in range(guards))
    sql = (f"{_NO_WAIT}WITH counted AS (INSERT INTO throttle_counters (key, hits, expires_at) "
           f"VALUES {values} {upsert})")
    if guarded:
        past = " OR ".join(f"(key = :guard{number} AND hits > :limit{number})"
                           for number in range(guards)) or "false"
        sql += (f", behind AS (INSERT INTO throttle_counters (key, hits, expires_at) "
                f"SELECT :key, 1, :expires_at WHERE NOT EXISTS "
                f"(SELECT FROM counted WHERE {past}) {upsert}) "
                f"SELECT key, hits FROM counted UNION ALL SELECT key, hits FROM behind")
    else:
        sql += " SELECT key, hits FROM counted"
    return sa.text(sql).bindparams(
        sa.bindparam("expires_at", type_=ThrottleCounter.expires_at.type))


def settle(window_seconds: int, clear: Sequence[str] = (), release: Sequence[str] = ()) -> None:
    """After a success, at once: forget the current window's hits of the ``clear`` keys, and
    give back one hit of each ``release`` key (a success should not count)."""
    window = _window(window_seconds)
    clear = [_row(key, window) for key in clear]
    release = [_row(key, window) for key in release]
    with independent_transaction(db.session, autocommit=True) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(_SETTLE, {"clear": clear, "release": release})
            return
        if clear:
            connection.execute(delete(ThrottleCounter).where(ThrottleCounter.key.in_(clear)))
        if release:
            connection.execute(update(ThrottleCounter).where(
                ThrottleCounter.key.in_(release), ThrottleCounter.hits > 0
            ).values(hits=ThrottleCounter.hits - 1))
