"""WSGI entry point for uWSGI (``module = frontend.wsgi:app``)."""
from frontend.app import create_app

app = create_app()
