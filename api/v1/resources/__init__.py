"""``/resources``: the tenant's APIs (RFC 8707 resource identifiers and their scopes)."""
