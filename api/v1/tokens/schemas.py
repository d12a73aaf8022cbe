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


class GrantListArgs(PageArgs):
    user_id = fields.UUID()
    client_id = fields.String(validate=validate.Length(max=64))
