"""Tenant payloads: shape and format only."""
from marshmallow import Schema, fields, validate

from api.clients.models import GRANT_TYPES
from api.tenancy.models import DCR_MODES, MFA_POLICIES, SLUG_PATTERN
from api.v1.clients.schemas import validate_web_uri
from api.v1.users.schemas import email_field

SLUG = validate.Regexp(SLUG_PATTERN, error="must be 2-63 lowercase letters, digits or hyphens")


class TenantCreateSchema(Schema):
    slug = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    owner_email = email_field(required=True)
    owner_password = fields.String(required=True, load_only=True,
                                   validate=validate.Length(max=256))


#: The password grant stays for clients an admin registered on purpose (the contract).
REGISTRABLE_GRANTS = tuple(g for g in GRANT_TYPES if g != "password")


class RegistrationPolicySchema(Schema):
    """The most a dynamically registered client may ask for (RFC 7591)."""

    grant_types = fields.List(fields.String(validate=validate.OneOf(REGISTRABLE_GRANTS)),
                              required=True, validate=validate.Length(max=len(GRANT_TYPES)))
    scope = fields.String(required=True, validate=validate.Length(max=2000))


class BrandingSchema(Schema):
    """What end users see on the tenant's pages; ``null`` removes a value."""

    display_name = fields.String(allow_none=True, validate=validate.Length(min=1, max=100))
    logo_uri = fields.String(allow_none=True, validate=[validate.Length(max=2000),
                                                        validate.URL(schemes={"https"}),
                                                        validate_web_uri])
    primary_color = fields.String(allow_none=True, validate=validate.Regexp(
        r"^#[0-9a-fA-F]{6}$", error="must be a colour like #2f5bd3"))


class TenantSchema(Schema):
    id = fields.UUID()
    slug = fields.String()
    name = fields.String()
    access_token_lifetime = fields.Integer()
    refresh_token_lifetime = fields.Integer()
    self_signup_enabled = fields.Boolean()
    dynamic_client_registration = fields.String()
    client_registration_policy = fields.Nested(RegistrationPolicySchema,
                                               attribute="registration_policy")
    require_verified_email = fields.Boolean()
    password_min_length = fields.Integer()
    mfa_policy = fields.String(metadata={"enum": list(MFA_POLICIES)})
    passkey_sign_in = fields.Boolean()
    branding = fields.Nested(BrandingSchema)
    created_at = fields.AwareDateTime()


class TenantUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    access_token_lifetime = fields.Integer(validate=validate.Range(min=60, max=86_400))
    refresh_token_lifetime = fields.Integer(validate=validate.Range(min=3600,
                                                                    max=365 * 86_400))
    self_signup_enabled = fields.Boolean()
    dynamic_client_registration = fields.String(validate=validate.OneOf(DCR_MODES))
    client_registration_policy = fields.Nested(RegistrationPolicySchema)
    require_verified_email = fields.Boolean()
    #: NIST SP 800-63B §5.1.1.2: at least 8; passwords up to 256 characters are accepted.
    password_min_length = fields.Integer(validate=validate.Range(min=8, max=64))
    #: Second factors: not offered, optional, required of owners and admins, or of everyone.
    mfa_policy = fields.String(validate=validate.OneOf(MFA_POLICIES))
    passkey_sign_in = fields.Boolean()
    branding = fields.Nested(BrandingSchema)


class TenantCreatedSchema(TenantSchema):
    issuer = fields.String()
