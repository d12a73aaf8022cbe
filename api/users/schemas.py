"""User payloads: shape and format only."""
from marshmallow import Schema, fields, validate


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = fields.String(load_default="user", validate=validate.Length(min=1, max=64))
