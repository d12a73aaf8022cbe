"""``@require_permission``: bearer protection plus a permission check, as the contract reads."""
from __future__ import annotations

from functools import wraps

from authlib.integrations.flask_oauth2 import current_token
from flask import g

from api.access.caller import Caller, caller_for, deny
from api.oauth.server import require_oauth


def current_caller() -> Caller:
    """The caller that ``@require_permission`` resolved for this request."""
    return g.caller


def require_permission(*permissions: str):
    """Bearer token required (RFC 6750), and the caller must hold every permission."""
    def decorator(view):
        @wraps(view)
        @require_oauth()
        def wrapper(*args, **kwargs):
            g.caller = caller = caller_for(current_token._get_current_object())
            missing = [p for p in permissions if not caller.can(p)]
            if missing:
                raise deny(caller, f"Requires the {', '.join(missing)} permission.",
                           missing=missing)
            return view(*args, **kwargs)
        return wrapper
    return decorator
