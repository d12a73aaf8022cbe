"""Imports every model so that metadata (and Alembic) sees the whole schema."""
from api.accounts.models import AccountToken
from api.audit.models import AuditEvent
from api.clients.models import Client, InitialAccessToken
from api.keys.models import SigningKey
from api.mfa.models import RecoveryCode, TotpFactor
from api.oauth.models import (AuthorizationCode, AuthorizationRequest, ClientAssertion, Consent,
                              DeviceAuthorization, FormPostResponse, Grant, Token)
from api.outbox.models import OutboxMessage
from api.passkeys.models import Passkey, PasskeyChallenge
from api.ratelimit.models import ThrottleCounter
from api.rbac.models import Permission, Role
from api.resources.models import Resource
from api.tenancy.models import Tenant
from api.users.models import User
from api.v1.projects.models import Project

__all__ = ["AccountToken", "AuditEvent", "AuthorizationCode", "AuthorizationRequest", "Client",
           "ClientAssertion", "Consent", "DeviceAuthorization", "FormPostResponse", "Grant",
           "InitialAccessToken", "OutboxMessage", "Passkey", "PasskeyChallenge", "Permission",
           "Project", "RecoveryCode", "Resource", "Role", "SigningKey", "Tenant",
           "ThrottleCounter", "Token", "TotpFactor", "User"]
