"""The tenant: the root every other row belongs to."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Timestamped, UUIDPrimaryKey
from api.extensions import db
from identifiers import SLUG

#: A tenant slug: lowercase letters, digits and hyphens, 2 to 63 characters.
SLUG_PATTERN = rf"^{SLUG}$"

DEFAULT_ACCESS_TOKEN_LIFETIME = 3600
DEFAULT_REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600
#: ``dynamic_client_registration``: RFC 7591 off, open to anyone, or gated by initial
#: access tokens that admins create.
DCR_OFF, DCR_OPEN, DCR_INITIAL_ACCESS_TOKEN = "off", "open", "initial_access_token"
DCR_MODES = (DCR_OFF, DCR_OPEN, DCR_INITIAL_ACCESS_TOKEN)
#: What a dynamically registered client may ask for unless the tenant says otherwise.
DEFAULT_REGISTRATION_POLICY = {"grant_types": ["authorization_code", "refresh_token"],
                               "scope": "openid profile email offline_access"}
#: ``mfa_policy``: second factors not offered, offered, required of owners and admins, or
#: required of everyone (see :mod:`api.mfa.policy`).
MFA_OFF, MFA_OPTIONAL, MFA_REQUIRED_FOR_ADMINS, MFA_REQUIRED = (
    "off", "optional", "required_for_admins", "required")
MFA_POLICIES = (MFA_OFF, MFA_OPTIONAL, MFA_REQUIRED_FOR_ADMINS, MFA_REQUIRED)
#: NIST SP 800-63B §5.1.1.2 asks for at least 8; 12 is OWASP's and our default.
DEFAULT_PASSWORD_MIN_LENGTH = 12


class Tenant(UUIDPrimaryKey, Timestamped, db.Model):
    """A customer: its own users, roles, clients, keys and issuer."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    access_token_lifetime: Mapped[int] = mapped_column(default=DEFAULT_ACCESS_TOKEN_LIFETIME)
    refresh_token_lifetime: Mapped[int] = mapped_column(default=DEFAULT_REFRESH_TOKEN_LIFETIME)
    #: Anyone may create an account at ``/t/{slug}/signup`` (``POST {issuer}/api/v1/signup``).
    self_signup_enabled: Mapped[bool] = mapped_column(default=False)
    dynamic_client_registration: Mapped[str] = mapped_column(sa.String(32), default=DCR_OFF)
    #: ``{"grant_types": [...], "scope": "..."}``: the most a dynamically registered client
    #: may have; None means DEFAULT_REGISTRATION_POLICY.
    client_registration_policy: Mapped[dict | None]
    #: Users whose address is not verified cannot sign in.
    require_verified_email: Mapped[bool] = mapped_column(default=False)
    password_min_length: Mapped[int] = mapped_column(default=DEFAULT_PASSWORD_MIN_LENGTH)
    mfa_policy: Mapped[str] = mapped_column(sa.String(32), default=MFA_OPTIONAL)
    #: People may sign in with a passkey alone, without their address or password.
    passkey_sign_in: Mapped[bool] = mapped_column(default=False)
    #: What end users see on the tenant's pages: ``display_name``, ``logo_uri`` (https),
    #: ``primary_color`` (``#rrggbb``); each optional.
    branding: Mapped[dict] = mapped_column(default=dict)
    deleted_at: Mapped[datetime | None]
    #: Changes whenever anything a cached bearer snapshot holds does (migration 0017,
    #: :mod:`api.oauth.bearer_cache`); read by the bearer check alone, never loaded.
    bearer_generation: Mapped[int] = mapped_column(sa.BigInteger, server_default="0",
                                                   deferred=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def registration_policy(self) -> dict:
        return self.client_registration_policy or DEFAULT_REGISTRATION_POLICY

    def __repr__(self) -> str:
        return f"<Tenant {self.slug}>"
