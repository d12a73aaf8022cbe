"""Unbound extension singletons, initialised in :func:`frontend.app.create_app`."""
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
