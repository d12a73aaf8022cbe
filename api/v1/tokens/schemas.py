"""Grant payloads: shape and format only."""
from marshmallow import Schema, fields, validate

from api.rest import PageArgs


class GrantSchema(Schema):
    id = fields.UUID()
    client_id = fields.String()
    client_name = fields.String()
    user_id = fields.UUID(allow_none=True)
    user_email = fields.String(allow_none=True)
    grant_type = fields.String()
    scope = fields.String()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()


class GrantFilters(Schema):
    user_id = fields.UUID()
    client_id = fields.String(validate=validate.Length(max=64))
    grant_type = fields.String(validate=validate.Length(max=64))


class GrantListArgs(PageArgs, GrantFilters):
    """``?page=&per_page=`` and the filters."""


class BulkRevokeArgs(GrantFilters):
    """``DELETE /tokens?user_id=…``: which grants to revoke (at least one filter)."""


class RevokedSchema(Schema):
    revoked = fields.Integer(metadata={"description": "how many grants were revoked"})
