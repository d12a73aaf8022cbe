"""Role payloads: shape and format only."""
from marshmallow import Schema, fields, validate

from api.rbac.permissions import ALL

PERMISSION = fields.String(validate=validate.OneOf(ALL))


class RoleCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_-]{1,63}$", error="must be 2-64 lowercase letters, digits, _ or -"))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    permissions = fields.List(PERMISSION, required=True, validate=validate.Length(max=len(ALL)))


class RoleUpdateSchema(Schema):
    description = fields.String(validate=validate.Length(max=500))
    permissions = fields.List(PERMISSION, validate=validate.Length(max=len(ALL)))


class RoleSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    description = fields.String()
    is_system = fields.Boolean()
    permissions = fields.Method("permission_list", dump_only=True)
    created_at = fields.AwareDateTime()

    def permission_list(self, role) -> list[str]:
        return sorted(role.permission_names)
