"""Tenants: the unit of isolation, each with its own issuer."""
