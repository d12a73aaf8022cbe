"""``/users``: the tenant's users, managed within the caller's ceilings."""
