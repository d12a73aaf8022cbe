"""WSGI entry point for uWSGI (``module = frontend.wsgi:app``)."""
from observability import configure_multiprocess

configure_multiprocess("frontend")

from frontend.app import create_app  # noqa: E402

app = create_app()
