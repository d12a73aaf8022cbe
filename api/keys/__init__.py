"""Per-tenant JWS signing keys."""
