"""Client payloads (RFC 7591 metadata names): shape and format only."""
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

from api.clients.models import AUTH_METHODS, GRANT_TYPES, origin_of
from api.rest import PageArgs

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
PKCE = ("Authorization requests must carry an S256 PKCE code_challenge (default true; only a "
        "legacy confidential client may turn it off, never a public one).")


def validate_jwks_uri(uri: str) -> None:
    """Absolute http(s) URI without fragment (fetched under :mod:`api.outbound`'s rules)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise ValidationError("must be an absolute https URI") from None
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise ValidationError("must be an absolute https URI without a fragment")


def validate_redirect_uri(uri: str) -> None:
    """Absolute, https (or http on loopback), no fragment, no wildcard (RFC 9700 §4.1)."""
    parts = urlsplit(uri)
    if not parts.scheme or not parts.netloc:
        raise ValidationError("must be an absolute URI")
    if parts.fragment or "#" in uri:
        raise ValidationError("must not contain a fragment")
    if "*" in uri:
        raise ValidationError("must not contain wildcards")
    if parts.scheme != "https" and not (parts.scheme == "http"
                                        and parts.hostname in LOOPBACK_HOSTS):
        raise ValidationError("must use https (http is allowed only on loopback)")


def validate_web_uri(uri: str) -> None:
    """A page or image people's browsers open: absolute https (http only on loopback)."""
    parts = urlsplit(uri)
    if not parts.netloc or parts.scheme not in ("https", "http"):
        raise ValidationError("must be an absolute https URI")
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValidationError("must use https (http is allowed only on loopback)")


def web_uri() -> fields.String:
    """An optional https URI field (``logo_uri``, ``client_uri``, ``policy_uri``, ``tos_uri``)."""
    return fields.String(allow_none=True,
                         validate=[validate.Length(max=2000), validate_web_uri])


class DisplayMetadata(Schema):
    """What the consent page shows about a client (RFC 7591 §2)."""

    logo_uri = web_uri()
    client_uri = web_uri()
    policy_uri = web_uri()
    tos_uri = web_uri()


def validate_origin(value: str) -> None:
    """A web origin exactly as browsers send it: ``scheme://host[:port]``, https (or http on
    loopback), nothing else."""
    try:
        exact = origin_of(value) == value
    except ValueError:
        exact = False
    if not exact or "*" in value or "@" in value:
        raise ValidationError("must be an origin such as https://app.example.com: scheme, "
                              "host and a port other than the default, nothing more")
    validate_redirect_uri(value)


POST_LOGOUT = ("Where a post_logout_redirect_uri may send the browser after signing out "
               "(RP-Initiated Logout 1.0; exact match).")
BACKCHANNEL = ("Where logout tokens are POSTed when a user of this client signs out "
               "(Back-Channel Logout 1.0).")
SESSION_REQUIRED = "Whether logout tokens must carry sid (Back-Channel Logout 1.0 §2.2)."
CORS = ("Origins of browser apps that may call the tenant REST API and the token endpoints "
        "(CORS); a public client's redirect URI origins are allowed without listing them.")


class LogoutAndCorsFields(Schema):
    """Registration metadata of RP-Initiated and Back-Channel Logout, and Tessera's CORS."""

    post_logout_redirect_uris = fields.List(
        fields.String(validate=[validate.Length(max=2000), validate_redirect_uri]),
        validate=validate.Length(max=20), metadata={"description": POST_LOGOUT})
    backchannel_logout_uri = fields.String(
        allow_none=True, validate=[validate.Length(max=2000), validate_redirect_uri],
        metadata={"description": BACKCHANNEL})
    backchannel_logout_session_required = fields.Boolean(
        metadata={"description": SESSION_REQUIRED})
    allowed_cors_origins = fields.List(
        fields.String(validate=[validate.Length(max=2000), validate_origin]),
        validate=validate.Length(max=20), metadata={"description": CORS})


class ClientCreateSchema(DisplayMetadata, LogoutAndCorsFields):
    client_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    grant_types = fields.List(fields.String(validate=validate.OneOf(GRANT_TYPES)),
                              required=True, validate=validate.Length(min=1, max=6))
    scope = fields.String(load_default="", validate=validate.Length(max=2000))
    redirect_uris = fields.List(fields.String(validate=[validate.Length(max=2000),
                                                        validate_redirect_uri]),
                                load_default=list, validate=validate.Length(max=20))
    token_endpoint_auth_method = fields.String(load_default="client_secret_basic",
                                               validate=validate.OneOf(AUTH_METHODS))
    require_pkce = fields.Boolean(load_default=True, metadata={"description": PKCE})
    jwks = fields.Dict(load_default=None, allow_none=True)
    jwks_uri = fields.String(load_default=None, allow_none=True,
                             validate=[validate.Length(max=2000), validate_jwks_uri])


class ClientUpdateSchema(DisplayMetadata, LogoutAndCorsFields):
    client_name = fields.String(validate=validate.Length(min=1, max=200))
    grant_types = fields.List(fields.String(validate=validate.OneOf(GRANT_TYPES)),
                              validate=validate.Length(min=1, max=6))
    scope = fields.String(validate=validate.Length(max=2000))
    redirect_uris = fields.List(fields.String(validate=[validate.Length(max=2000),
                                                        validate_redirect_uri]),
                                validate=validate.Length(max=20))
    require_pkce = fields.Boolean(metadata={"description": PKCE})
    jwks = fields.Dict(allow_none=True)
    jwks_uri = fields.String(allow_none=True,
                             validate=[validate.Length(max=2000), validate_jwks_uri])


class ClientSchema(DisplayMetadata):
    id = fields.UUID()
    client_id = fields.String()
    client_name = fields.String()
    redirect_uris = fields.List(fields.String())
    grant_types = fields.List(fields.String())
    response_types = fields.List(fields.String())
    scope = fields.String()
    token_endpoint_auth_method = fields.String()
    require_pkce = fields.Boolean(metadata={"description": PKCE})
    jwks = fields.Dict(allow_none=True)
    jwks_uri = fields.String(allow_none=True)
    post_logout_redirect_uris = fields.List(fields.String(), metadata={"description": POST_LOGOUT})
    backchannel_logout_uri = fields.String(allow_none=True, metadata={"description": BACKCHANNEL})
    backchannel_logout_session_required = fields.Boolean(
        metadata={"description": SESSION_REQUIRED})
    allowed_cors_origins = fields.List(fields.String(), metadata={"description": CORS})
    is_first_party = fields.Boolean()
    dynamically_registered = fields.Boolean()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class ClientWithSecretSchema(ClientSchema):
    """The client as created or rotated: its secret, shown this once."""

    client_secret = fields.String(allow_none=True)


class ClientListArgs(PageArgs):
    client_name = fields.String(validate=validate.Length(max=200))
