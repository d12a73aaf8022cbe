"""Payloads of the account endpoints: shape and format only."""
from marshmallow import Schema, fields, validate

from api.users.passwords import MAX_LENGTH

#: Links carry 43 characters; anything much longer is not one of ours.
TOKEN = fields.String(required=True, validate=validate.Length(min=1, max=128))
PASSWORD = validate.Length(max=MAX_LENGTH)
EMAIL = validate.Length(max=320)


class ProfileSchema(Schema):
    """The OIDC profile claims a user edits."""

    name = fields.String(validate=validate.Length(max=200))
    given_name = fields.String(validate=validate.Length(max=100))
    family_name = fields.String(validate=validate.Length(max=100))


class SignUpSchema(ProfileSchema):
    email = fields.Email(required=True, validate=EMAIL)
    password = fields.String(required=True, load_only=True, validate=PASSWORD)


class SignedUpSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    email_verified = fields.Boolean()


class ResetRequestSchema(Schema):
    email = fields.Email(required=True, validate=EMAIL)


class LinkSchema(Schema):
    token = TOKEN


class ResetSchema(Schema):
    token = TOKEN
    password = fields.String(required=True, load_only=True, validate=PASSWORD)


class EmailChangeSchema(Schema):
    email = fields.Email(required=True, validate=EMAIL)
    current_password = fields.String(required=True, load_only=True, validate=PASSWORD)
