"""Initial access token payloads: shape and format only."""
from marshmallow import Schema, fields, validate


DAY = 86_400


class InitialAccessTokenCreateSchema(Schema):
    description = fields.String(load_default="", validate=validate.Length(max=200))
    #: None: any number of registrations until it expires.
    max_uses = fields.Integer(load_default=1, allow_none=True,
                              validate=validate.Range(min=1, max=100_000))
    expires_in = fields.Integer(load_default=DAY, validate=validate.Range(min=60, max=90 * DAY))


class InitialAccessTokenSchema(Schema):
    id = fields.UUID()
    description = fields.String()
    max_uses = fields.Integer(allow_none=True)
    uses = fields.Integer()
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()


class InitialAccessTokenCreatedSchema(InitialAccessTokenSchema):
    """As created: the token itself, shown this once."""

    token = fields.String()
