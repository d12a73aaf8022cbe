"""User payloads: shape and format only."""
from marshmallow import Schema, fields, validate

from api.accounts.schemas import ProfileSchema
from api.rest import PageArgs

ROLE_NAME = validate.Length(min=1, max=64)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = fields.String(load_default="user", validate=ROLE_NAME)


class UserUpdateSchema(ProfileSchema):
    role = fields.String(validate=ROLE_NAME)
    is_active = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(max=256))


class UserSchema(Schema):
    id = fields.UUID()
    email = fields.String()
    email_verified = fields.Boolean()
    name = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    role = fields.Method("role_name", dump_only=True)
    is_active = fields.Boolean()
    last_sign_in_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()

    def role_name(self, user) -> str | None:
        return user.roles[0].name if user.roles else None


class UserListArgs(PageArgs):
    email = fields.String(validate=validate.Length(max=320))
    role = fields.String(validate=ROLE_NAME)
    active = fields.Boolean()
