"""Atomic fixed-window counting in the database (PostgreSQL and SQLite alike).

Each hit is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so
parallel requests cannot read the same count and both pass the limit. On
PostgreSQL counters are written in their own short transaction, never the
request's (:func:`api.db.independent_transaction`), so they do not hold row
locks while the request does slow work (a password check), and a refused request
that rolls back still counts.

A row is keyed by a digest of the caller's key and the window (:func:`_row`),
so it fits its column whatever the key embeds (an email of any length, an address).
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from api.db import independent_transaction
from api.extensions import db
from api.ratelimit.models import ThrottleCounter
from api.security import digest

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@contextmanager
def _own_transaction() -> Iterator[sa.Connection]:
    with independent_transaction(db.session) as connection:
        if connection.dialect.name == "postgresql":
            # A counter lost in a crash costs nothing; do not wait for the disk.
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        yield connection


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
    window = _window(window_seconds)
    expires_at = datetime.fromtimestamp((window + 1) * window_seconds, timezone.utc)
    rows = {key: _row(key, window) for key in keys}
    with _own_transaction() as connection:
        insert = _INSERTS[connection.dialect.name](ThrottleCounter)
        statement = insert.values([{"key": row, "hits": 1, "expires_at": expires_at}
                                   for row in rows.values()])
        statement = statement.on_conflict_do_update(
            index_elements=[ThrottleCounter.key], set_={"hits": ThrottleCounter.hits + 1}
        ).returning(ThrottleCounter.key, ThrottleCounter.hits)
        counts = dict(connection.execute(statement).all())
    return {key: counts[row] for key, row in rows.items()}


def settle(window_seconds: int, clear: Sequence[str] = (), release: Sequence[str] = ()) -> None:
    """After a success, in one transaction: forget the current window's hits of the ``clear``
    keys, and give back one hit of each ``release`` key (a success should not count)."""
    window = _window(window_seconds)
    with _own_transaction() as connection:
        if clear:
            connection.execute(delete(ThrottleCounter).where(
                ThrottleCounter.key.in_([_row(key, window) for key in clear])))
        if release:
            connection.execute(update(ThrottleCounter).where(
                ThrottleCounter.key.in_([_row(key, window) for key in release]),
                ThrottleCounter.hits > 0).values(hits=ThrottleCounter.hits - 1))
