"""Tessera's API: the OAuth 2.0 / OpenID Connect server and the tenant REST API."""
from api.app import create_app

__all__ = ["create_app"]
