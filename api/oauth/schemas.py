"""Payloads of the sign-in challenge and sign-out confirmation API, and RFC 7591 client
metadata: shape and format only."""
from marshmallow import INCLUDE, Schema, fields, validate

from api.passkeys.schemas import AssertionSchema, CredentialSchema


class LoginSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    #: The end user's address, as the frontend saw it (for per-IP throttling).
    ip = fields.IP(load_default=None)


class SecondFactorSchema(Schema):
    #: A factor of :mod:`api.mfa.factors` (``totp``, ``recovery_code``, ``passkey``) and its
    #: answer: a code, or a passkey's assertion.
    factor = fields.String(required=True, validate=validate.Length(min=1, max=32))
    code = fields.String(load_default="", validate=validate.Length(max=64))
    credential = fields.Nested(CredentialSchema)
    ip = fields.IP(load_default=None)


class EnrolmentCodeSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


class PasskeySignInSchema(AssertionSchema):
    #: The end user's address, as the frontend saw it (for per-IP throttling).
    ip = fields.IP(load_default=None)


class ConsentSchema(Schema):
    approve = fields.Boolean(required=True)
    remember = fields.Boolean(load_default=False)


class ClientMetadataSchema(Schema):
    """RFC 7591 §2 client metadata: the types of the fields Tessera reads (Authlib checks
    their meaning); other fields are ignored, as §2 asks."""

    class Meta:
        unknown = INCLUDE

    client_id = fields.String(validate=validate.Length(max=64))
    client_secret = fields.String(validate=validate.Length(max=256))
    client_name = fields.String(validate=validate.Length(max=200))
    redirect_uris = fields.List(fields.String(validate=validate.Length(max=2000)),
                                validate=validate.Length(max=20))
    grant_types = fields.List(fields.String(validate=validate.Length(max=100)),
                              validate=validate.Length(max=10))
    response_types = fields.List(fields.String(validate=validate.Length(max=100)),
                                 validate=validate.Length(max=10))
    scope = fields.String(validate=validate.Length(max=2000))
    token_endpoint_auth_method = fields.String(validate=validate.Length(max=32))
    jwks = fields.Dict()
    jwks_uri = fields.String(validate=validate.Length(max=2000))
    contacts = fields.List(fields.String(validate=validate.Length(max=320)))
    client_uri = fields.String(validate=validate.Length(max=2000))
    logo_uri = fields.String(validate=validate.Length(max=2000))
    policy_uri = fields.String(validate=validate.Length(max=2000))
    tos_uri = fields.String(validate=validate.Length(max=2000))
    software_id = fields.String(validate=validate.Length(max=200))
    software_version = fields.String(validate=validate.Length(max=200))
    require_pkce = fields.Boolean(truthy={True}, falsy={False})
    post_logout_redirect_uris = fields.List(fields.String(validate=validate.Length(max=2000)),
                                            validate=validate.Length(max=20))
    backchannel_logout_uri = fields.String(validate=validate.Length(max=2000))
    backchannel_logout_session_required = fields.Boolean(truthy={True}, falsy={False})
    allowed_cors_origins = fields.List(fields.String(validate=validate.Length(max=2000)),
                                       validate=validate.Length(max=20))


class LogoutConfirmationSchema(Schema):
    #: The parked sign-out the end-session endpoint sent the browser with.
    request = fields.String(required=True, validate=validate.Length(min=1, max=2000))
