"""Resource payloads: shape and format only."""
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

from api.rest import PageArgs

#: RFC 6749 §3.3 scope-token characters, space-separated.
SCOPE_LIST = validate.Regexp(r"^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$|^$",
                             error="must be space-separated scope tokens")


def validate_identifier(uri: str) -> None:
    """RFC 8707 §2: an absolute URI without a fragment."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise ValidationError("must be an absolute URI") from None
    if not parts.scheme or not parts.netloc or "#" in uri:
        raise ValidationError("must be an absolute URI without a fragment")


IDENTIFIER = [validate.Length(min=1, max=2000), validate_identifier]
URI = {"format": "uri", "description": "RFC 8707 resource identifier: absolute, no fragment"}


class ResourceCreateSchema(Schema):
    identifier = fields.String(required=True, validate=IDENTIFIER, metadata=URI)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    scope = fields.String(load_default="", validate=[validate.Length(max=2000), SCOPE_LIST])


class ResourceUpdateSchema(Schema):
    identifier = fields.String(validate=IDENTIFIER, metadata=URI)
    name = fields.String(validate=validate.Length(min=1, max=200))
    scope = fields.String(validate=[validate.Length(max=2000), SCOPE_LIST])


class ResourceSchema(Schema):
    id = fields.UUID()
    identifier = fields.String()
    name = fields.String()
    scope = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ResourceListArgs(PageArgs):
    identifier = fields.String(validate=validate.Length(max=200),
                               metadata={"description": "part of the identifier"})
