"""Audit event payloads."""
from marshmallow import Schema, fields, validate

from api.rest import CommaList, PageArgs


class AuditEventSchema(Schema):
    id = fields.UUID()
    created_at = fields.AwareDateTime()
    actor_type = fields.String()
    actor_id = fields.UUID(allow_none=True)
    actor = fields.String()
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.String(allow_none=True)
    target_label = fields.String(allow_none=True)
    outcome = fields.String()
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    details = fields.Dict()


class AuditEventListArgs(PageArgs):
    actor = fields.String(validate=validate.Length(max=320))
    action = CommaList(fields.String(validate=validate.Length(max=64)),
                       validate=validate.Length(max=20),
                       metadata={"description": "comma-separated; each exact or `prefix.*`"})
    target = fields.String(validate=validate.Length(max=320),
                           metadata={"description": "the target's id, email or name"})
    outcome = fields.String(validate=validate.OneOf(("success", "failure", "denied")))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()
