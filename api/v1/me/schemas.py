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
