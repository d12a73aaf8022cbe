"""``/roles``: the system roles and the tenant's custom roles."""
