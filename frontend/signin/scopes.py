"""Scopes in plain words, for the sign-in and consent pages."""

IDENTITY = {
    "openid": "Know who you are",
    "profile": "See your basic profile",
    "email": "See your email address",
    "offline_access": "Stay connected when you are away",
}
ACTIONS = {"read": "View", "write": "Change", "delete": "Delete", "manage": "Manage",
           "introspect": "Inspect"}


def describe(scope: str) -> str:
    """``users:read`` → "View users"; identity scopes have their own sentences."""
    if scope in IDENTITY:
        return IDENTITY[scope]
    resource, _, action = scope.partition(":")
    return f"{ACTIONS.get(action, action.capitalize())} {resource}"
