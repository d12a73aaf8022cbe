"""Project payloads: shape and format only."""
from marshmallow import Schema, fields, validate

from api.rest import PageArgs


class ProjectCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))


class ProjectUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))


class ProjectSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    description = fields.String()
    owner_id = fields.UUID(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ProjectListArgs(PageArgs):
    name = fields.String(validate=validate.Length(max=200))
