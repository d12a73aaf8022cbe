"""What the bearer check keeps per process: clients and users, by tenant generation.

A token's client and user (with the user's role names and permissions) change only when the
tenant's ``bearer_generation`` does: on PostgreSQL the database gives the tenant a new one
in the same transaction as any change to them (migration 0017). The bearer check reads the
generation in the same statement, and so the same snapshot, as the token, its grant and its
key, so what this cache holds for that generation is exactly what the database holds in
that snapshot: a change is seen by the first request that starts after it commits, on every
process, and there is nothing to invalidate or to go down (the database is the coherence
mechanism). Generations come from one sequence and are never reused, even after a rollback.

Each tenant keeps one generation's entries at a time, replaced by the first read of another;
the whole cache holds at most :data:`ENTRIES` clients and users, and starts over when full.
Reads and writes are single dictionary operations, safe across a process's threads (the
count of entries may drift by a few under contention: it only bounds memory).
"""
from __future__ import annotations

import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

#: Clients and users cached at once, over all tenants (a user is about a kilobyte).
ENTRIES = 20_000


@dataclass
class _Generation:
    number: int
    clients: dict[Hashable, Any] = field(default_factory=dict)
    users: dict[Hashable, Any] = field(default_factory=dict)


class BearerCache:
    """Clients and users by (tenant, generation, id)."""

    def __init__(self) -> None:
        self._tenants: dict[uuid.UUID, _Generation] = {}
        self._size = 0

    def get(self, tenant_id: uuid.UUID, generation: int, client_id: Hashable,
            user_id: Hashable | None) -> tuple[Any, Any] | None:
        """The client and the user (None for a client's own token) if both are cached for
        this generation; None otherwise."""
        entry = self._tenants.get(tenant_id)
        if entry is None or entry.number != generation:
            return None
        client = entry.clients.get(client_id)
        if client is None:
            return None
        if user_id is None:
            return client, None
        user = entry.users.get(user_id)
        return None if user is None else (client, user)

    def put(self, tenant_id: uuid.UUID, generation: int, client_id: Hashable, client: Any,
            user_id: Hashable | None, user: Any) -> None:
        """Keep ``client`` (and ``user``, unless None) as they are in ``generation``."""
        entry = self._tenants.get(tenant_id)
        if entry is not None and entry.number != generation:
            self._size -= len(entry.clients) + len(entry.users)
            entry = None
        if self._size >= ENTRIES:
            self._tenants.clear()
            self._size, entry = 0, None
        if entry is None:
            entry = self._tenants[tenant_id] = _Generation(generation)
        self._size += (client_id not in entry.clients) + (
            user is not None and user_id not in entry.users)
        entry.clients[client_id] = client
        if user is not None:
            entry.users[user_id] = user
