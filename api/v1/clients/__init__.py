"""``/clients``: OAuth clients registered with the tenant, managed within the caller's ceilings."""
