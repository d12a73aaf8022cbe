"""Audit actions in words, for the audit log and the pages that show events."""
from __future__ import annotations

#: Every action the API records, with what it means to a person investigating.
ACTIONS = {
    "sign_in.succeeded": "Signed in",
    "sign_in.failed": "Failed sign-in",
    "sign_in.throttled": "Sign-in throttled",
    "consent.granted": "Allowed an application",
    "consent.denied": "Denied an application",
    "token.issued": "Token issued",
    "token.revoked": "Access token revoked",
    "grant.revoked": "Access revoked",
    "grants.revoked": "All access revoked",
    "grants.bulk_revoked": "Access revoked in bulk",
    "refresh_token.reused": "Reused refresh token (grant revoked)",
    "code.replayed": "Replayed authorization code (grant revoked)",
    "user.created": "User created",
    "user.role_changed": "Role changed",
    "user.activated": "User activated",
    "user.deactivated": "User deactivated",
    "user.password_changed": "Password changed",
    "user.password_change_refused": "Password change refused (wrong current password)",
    "user.signed_out_everywhere": "Signed out everywhere",
    "session.ended": "Session ended",
    "application.revoked": "Application's access revoked",
    "user.deleted": "User deleted",
    "role.created": "Role created",
    "role.updated": "Role changed",
    "role.deleted": "Role deleted",
    "client.created": "Application registered",
    "client.updated": "Application changed",
    "client.secret_rotated": "Application secret rotated",
    "client.deleted": "Application deleted",
    "tenant.created": "Organisation created",
    "tenant.updated": "Settings changed",
    "tenant.deleted": "Organisation deleted",
    "keys.rotated": "Signing key rotated",
    "project.created": "Project created",
    "project.updated": "Project changed",
    "project.deleted": "Project deleted",
    "permission.denied": "Refused: missing permission",
}
#: Groups of actions offered as one filter (``prefix.*``).
GROUPS = {"sign_in.*": "Any sign-in", "user.*": "Any user change",
          "client.*": "Any application change", "role.*": "Any role change",
          "grant*": "Any revocation"}
TARGETS = {"users": "user", "clients": "application", "roles": "role", "tenants": "organisation",
           "grants": "grant", "projects": "project"}


def action_label(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " ").replace(".", ": ").capitalize())


def target_kind(target_type: str | None) -> str:
    return TARGETS.get(target_type or "", target_type or "")
