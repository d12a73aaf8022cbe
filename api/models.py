"""Imports every model so that metadata (and Alembic) sees the whole schema."""
from api.audit.models import AuditEvent
from api.clients.models import Client
from api.keys.models import SigningKey
from api.oauth.models import AuthorizationCode, Grant, Token
from api.rbac.models import Permission, Role
from api.tenancy.models import Tenant
from api.users.models import User

__all__ = ["AuditEvent", "AuthorizationCode", "Client", "Grant", "Permission", "Role",
           "SigningKey", "Tenant", "Token", "User"]
