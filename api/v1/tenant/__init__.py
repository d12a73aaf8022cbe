"""``/tenant`` (the caller's tenant settings) and ``POST /api/v1/tenants`` (sign-up)."""
