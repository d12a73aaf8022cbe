"""WSGI entry point for uWSGI (``module = api.wsgi:app``)."""
from observability import configure_multiprocess

configure_multiprocess("api")

from api.app import create_app  # noqa: E402

app = create_app()
