"""``POST {issuer}/api/v1/signup``: self-service sign-up of end users, when the tenant allows it."""
