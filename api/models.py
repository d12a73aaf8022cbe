"""Imports every model so that metadata (and Alembic) sees the whole schema."""
from api.audit.models import AuditEvent
from api.clients.models import Client
from api.keys.models import SigningKey
from api.oauth.models import (AuthorizationCode, AuthorizationRequest, Consent,
                              FormPostResponse, Grant, Token)
from api.ratelimit.models import ThrottleCounter
from api.rbac.models import Permission, Role
from api.tenancy.models import Tenant
from api.users.models import User
from api.v1.projects.models import Project

__all__ = ["AuditEvent", "AuthorizationCode", "AuthorizationRequest", "Client", "Consent",
           "FormPostResponse", "Grant", "Permission", "Project", "Role", "SigningKey", "Tenant",
           "ThrottleCounter", "Token", "User"]
