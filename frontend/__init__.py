"""Tessera's web UI: sign-in, consent and the console; HTML only, it talks to the API over HTTP."""
from frontend.app import create_app

__all__ = ["create_app"]
