"""``/me``: who the bearer of a token is, in which tenant, allowed to do what; a user's own
profile, address and verification."""
