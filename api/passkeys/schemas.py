"""The JSON form browsers give a ``PublicKeyCredential`` (WebAuthn Level 3 §5.1.8,
``toJSON()``): shape and format only, base64url throughout."""
from marshmallow import EXCLUDE, Schema, fields, validate

B64URL = validate.Regexp(r"^[A-Za-z0-9_-]*={0,2}$", error="must be base64url")


def _b64url(max_length: int, required: bool = True) -> fields.String:
    return fields.String(required=required, allow_none=not required,
                         validate=[validate.Length(min=1, max=max_length), B64URL])


class AuthenticatorResponseSchema(Schema):
    """``response`` of an attestation (registration) or an assertion (sign-in)."""

    class Meta:
        unknown = EXCLUDE  # publicKey, publicKeyAlgorithm, authenticatorData, ...

    clientDataJSON = _b64url(4096)
    attestationObject = _b64url(65536, required=False)
    transports = fields.List(fields.String(validate=validate.Length(max=32)),
                             validate=validate.Length(max=10))
    authenticatorData = _b64url(16384, required=False)
    signature = _b64url(1024, required=False)
    userHandle = _b64url(128, required=False)


class CredentialSchema(Schema):
    """A ``PublicKeyCredential`` as JSON."""

    class Meta:
        unknown = EXCLUDE  # clientExtensionResults, authenticatorAttachment

    id = _b64url(1400)
    rawId = _b64url(1400)
    type = fields.String(required=True, validate=validate.Equal("public-key"))
    response = fields.Nested(AuthenticatorResponseSchema, required=True)


class AssertionSchema(Schema):
    credential = fields.Nested(CredentialSchema, required=True,
                               metadata={"description": "navigator.credentials.get()'s "
                                                        "answer"})
