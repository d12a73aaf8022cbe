"""Payloads of the sign-in challenge API: shape and format only."""
from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    #: The end user's address, as the frontend saw it (for per-IP throttling).
    ip = fields.IP(load_default=None)


class ConsentSchema(Schema):
    approve = fields.Boolean(required=True)
    remember = fields.Boolean(load_default=False)
