"""Second-factor payloads: shape and format only."""
from marshmallow import Schema, fields, validate


class _Factor(Schema):
    type = fields.String(metadata={"enum": ["totp"]})
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)


class FactorsSchema(Schema):
    factors = fields.List(fields.Nested(_Factor))
    recovery_codes_remaining = fields.Integer()
    policy = fields.String(metadata={"enum": ["off", "optional", "required_for_admins",
                                              "required"]})
    required = fields.Boolean(metadata={"description": "the policy requires a factor of you"})
    can_enrol = fields.Boolean()


class TotpEnrolmentSchema(Schema):
    secret = fields.String(metadata={"description": "base32, for typing in by hand"})
    otpauth_uri = fields.String()
    qr_svg = fields.String(metadata={"description": "the otpauth URI as a QR code (SVG)"})


class CodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class RecoveryCodesSchema(Schema):
    recovery_codes = fields.List(fields.String(), metadata={"description": "shown once"})
