"""Recognising the Tessera frontend: it presents FRONTEND_API_KEY in ``X-Frontend-Key``."""
from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from api.errors import Forbidden


def is_frontend() -> bool:
    presented = request.headers.get("X-Frontend-Key", "")
    return hmac.compare_digest(presented.encode(),
                               current_app.config["FRONTEND_API_KEY"].encode())


def end_user_ip() -> str | None:
    """The browser's address: as the frontend reports it, else the peer's."""
    reported = request.headers.get("X-End-User-IP")
    return reported if reported and is_frontend() else request.remote_addr


def frontend_only(view):
    """Only the frontend may call this endpoint."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not is_frontend():
            raise Forbidden("This endpoint is only for the Tessera frontend.")
        return view(*args, **kwargs)
    return wrapper
