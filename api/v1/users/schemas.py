"""User payloads: shape and format only."""
from marshmallow import Schema, ValidationError, fields, validate

from api.accounts.schemas import ProfileSchema
from api.rest import PageArgs

ROLE_NAME = validate.Length(min=1, max=64)


def validate_mailbox_limits(email: str) -> None:
    """RFC 5321 §4.5.3.1: a local part of at most 64 octets, a path of at most 256 (so an
    address of at most 254)."""
    local, _, _ = email.rpartition("@")
    if len(local.encode()) > 64:
        raise ValidationError("the part before @ can have at most 64 characters")
    if len(email.encode()) > 254:
        raise ValidationError("an email address can have at most 254 characters")


def email_field(**kwargs) -> fields.Email:
    """An email address within the limits mail servers accept."""
    return fields.Email(validate=validate_mailbox_limits, **kwargs)


class UserCreateSchema(Schema):
    email = email_field(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    role = fields.String(load_default="user", validate=ROLE_NAME)


class UserUpdateSchema(ProfileSchema):
    role = fields.String(validate=ROLE_NAME)
    is_active = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(max=256))
    current_password = fields.String(load_only=True, validate=validate.Length(max=256),
                                     metadata={"description": "required to change your own "
                                                              "password"})


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
