"""Scopes in plain words, for the sign-in and consent pages and the console's scope picker."""
from flask_babel import gettext as _


def describe(scope: str) -> str:
    """``users:read`` → "View users"; identity scopes have their own sentences."""
    identity = {
        "openid": _("Know who you are"),
        "profile": _("See your basic profile"),
        "email": _("See your email address"),
        "offline_access": _("Stay connected when you are away"),
    }
    if scope in identity:
        return identity[scope]
    resource, _sep, action = scope.partition(":")
    actions = {"read": _("View %(what)s", what=resource),
               "write": _("Change %(what)s", what=resource),
               "delete": _("Delete %(what)s", what=resource),
               "manage": _("Manage %(what)s", what=resource),
               "introspect": _("Inspect %(what)s", what=resource)}
    return actions.get(action, f"{action.capitalize()} {resource}")
