"""Passkey payloads: shape and format only."""
from marshmallow import EXCLUDE, Schema, fields, validate

from api.passkeys.schemas import CredentialSchema
from api.rest import PageArgs

NAME = validate.Length(min=1, max=100)


class RegistrationSchema(Schema):
    name = fields.String(required=True, validate=NAME,
                         metadata={"description": "what the user calls this passkey"})
    credential = fields.Nested(CredentialSchema, required=True,
                               metadata={"description": "navigator.credentials.create()'s "
                                                        "answer"})


class RenameSchema(Schema):
    name = fields.String(required=True, validate=NAME)


class PasskeySchema(Schema):
    id = fields.UUID()
    name = fields.String()
    transports = fields.List(fields.String())
    method = fields.String(metadata={"description": "RFC 8176 amr value it proves: hwk "
                                                    "(bound to its authenticator) or swk "
                                                    "(synced)"})
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)


class RegisteredPasskeySchema(PasskeySchema):
    recovery_codes = fields.List(fields.String(), metadata={
        "description": "the user's first recovery codes, shown only now; empty when they "
                       "had some already"})


class CeremonyOptionsSchema(Schema):
    """WebAuthn options (``PublicKeyCredentialCreationOptions`` or
    ``PublicKeyCredentialRequestOptions``) as JSON, for ``PublicKeyCredential.parse…``."""

    class Meta:
        unknown = EXCLUDE

    challenge = fields.String()
    rpId = fields.String()
    timeout = fields.Integer()


class PasskeyListArgs(PageArgs):
    """``?page=&per_page=``."""
