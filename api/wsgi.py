"""WSGI entry point for uWSGI (``module = api.wsgi:app``)."""
from api.app import create_app

app = create_app()
