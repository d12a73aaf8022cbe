"""``/audit-events``: the security log, read-only, filtered and paged."""
