"""The ``/me`` payload."""
from marshmallow import Schema, fields


class _UserRef(Schema):
    id = fields.UUID()
    email = fields.String()
    email_verified = fields.Boolean()
    name = fields.String()
    given_name = fields.String()
    family_name = fields.String()


class _ClientRef(Schema):
    id = fields.UUID(metadata={"description": "also sub of the client's own tokens"})
    client_id = fields.String()
    client_name = fields.String()


class _TenantRef(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()


class MeSchema(Schema):
    type = fields.String(metadata={"enum": ["user", "client"]})
    user = fields.Nested(_UserRef, allow_none=True)
    client = fields.Nested(_ClientRef)
    tenant = fields.Nested(_TenantRef)
    roles = fields.List(fields.String())
    permissions = fields.List(fields.String())
    scope = fields.String()


class SessionSchema(Schema):
    """One of the caller's live sign-in sessions (``/me/sessions``)."""

    id = fields.UUID(metadata={"description": "also the sid of the ID tokens issued in it"})
    user_agent = fields.String(allow_none=True,
                               metadata={"description": "the browser's User-Agent, truncated"})
    ip_address = fields.String(allow_none=True,
                               metadata={"description": "where the browser signed in from"})
    created_at = fields.AwareDateTime(metadata={"description": "signed in at"})
    auth_time = fields.AwareDateTime(metadata={"description": "last authenticated at"})
    last_seen_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when the browser last came by (to within five minutes)"})
    expires_at = fields.AwareDateTime()
    current = fields.Boolean(metadata={"description": "the caller's token was issued in it"})


class ApplicationSchema(Schema):
    """An application the caller allowed (``/me/applications``)."""

    client_id = fields.String()
    client_name = fields.String()
    client_uri = fields.String(allow_none=True)
    scope = fields.String(metadata={"description": "what it may do: its consent and grants"})
    granted_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "when it last obtained a token for the caller"})
