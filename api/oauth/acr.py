"""Authentication context: the methods of a sign-in (``amr``) and the class they make (``acr``).

``amr`` values are RFC 8176's: ``pwd`` (a password), ``otp`` (a one-time code),
``hwk``/``swk`` (proof of a hardware- or software-held key, as a passkey), ``mfa``
(several factors). ``acr`` values are Tessera's own, advertised in discovery as
``acr_values_supported`` (OIDC Core §2, §3.1.2.1): :data:`PWD` for a sign-in of one
factor, :data:`MFA` when a second factor was used.
"""
from __future__ import annotations

from collections.abc import Iterable

PWD = "urn:tessera:acr:pwd"
MFA = "urn:tessera:acr:mfa"
#: Weakest first: what discovery lists as ``acr_values_supported``.
SUPPORTED = (PWD, MFA)
#: RFC 8176 methods that make a sign-in multi-factor.
SECOND_FACTORS = frozenset({"otp", "hwk", "swk", "mfa"})


def acr_for(amr: Iterable[str]) -> str:
    """The ``acr`` of a sign-in that used the methods ``amr``."""
    return MFA if SECOND_FACTORS & set(amr) else PWD
