"""Authentication context: the methods of a sign-in (``amr``) and the class they make (``acr``).

``amr`` values are RFC 8176's: ``pwd`` (a password), ``otp`` (a one-time code),
``hwk``/``swk`` (proof of a hardware- or software-held key, as a passkey), ``mfa``
(several factors). ``acr`` values are Tessera's own, advertised in discovery as
``acr_values_supported`` (OIDC Core §2, §3.1.2.1): :data:`PWD` for a sign-in of one
factor, :data:`MFA` when a second factor was used; :data:`MFA` satisfies a request for
:data:`PWD`, not the other way round.

What an authorization request asks for (:func:`requested`): ``acr_values`` (OIDC Core
§3.1.2.1) is a voluntary wish, the first value Tessera knows counting; the ``claims``
parameter's ``id_token.acr`` with ``"essential": true`` (§5.5.1.1) is a requirement,
and a sign-in that cannot meet it ends in ``unmet_authentication_requirements``
(OpenID Connect Core Error Code unmet_authentication_requirements 1.0). Of ``claims``
only ``id_token.acr`` is read: discovery does not offer the parameter as a whole.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError

PWD = "urn:tessera:acr:pwd"
MFA = "urn:tessera:acr:mfa"
#: Weakest first: what discovery lists as ``acr_values_supported``.
SUPPORTED = (PWD, MFA)
#: RFC 8176 methods that make a sign-in multi-factor.
SECOND_FACTORS = frozenset({"otp", "hwk", "swk", "mfa"})


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """The essential ``acr`` a client asked for cannot be met (OpenID Connect Core Error Code
    unmet_authentication_requirements 1.0 §1)."""

    error = "unmet_authentication_requirements"
    description = "The sign-in does not meet the essential acr the client asked for."


@dataclass(frozen=True)
class Requirement:
    """The ``acr`` a request asks for (None: any) and whether it is essential."""

    value: str | None = None
    essential: bool = False

    def met_by(self, amr: Iterable[str]) -> bool:
        """Whether a sign-in with the methods ``amr`` reaches :attr:`value`."""
        return self.value is None or SUPPORTED.index(acr_for(amr)) >= SUPPORTED.index(self.value)


def acr_for(amr: Iterable[str]) -> str:
    """The ``acr`` of a sign-in that used the methods ``amr``."""
    return MFA if SECOND_FACTORS & set(amr) else PWD


def requested(params: Mapping[str, str]) -> Requirement:
    """The ``acr`` an authorization request's parameters ask for (see the module docstring):
    an essential ``claims`` request wins, its weakest acceptable value counting; else the
    first known value of ``acr_values``. ``invalid_request`` for a ``claims`` parameter
    that is not a JSON object (OIDC Core §5.5); ``unmet_authentication_requirements`` when
    none of the essential values is one Tessera knows."""
    essential = _essential_acr(params.get("claims"))
    if essential is not None:
        known = [value for value in SUPPORTED if value in essential]
        if essential and not known:
            raise UnmetAuthenticationRequirementsError()
        return Requirement(known[0] if known else None, essential=True)
    wished = [value for value in params.get("acr_values", "").split() if value in SUPPORTED]
    return Requirement(wished[0] if wished else None)


def _essential_acr(claims: str | None) -> list[str] | None:
    """The acceptable values of an essential ``id_token.acr`` claim request ([] for any
    value), or None when ``claims`` makes ``acr`` no requirement."""
    if claims is None:
        return None
    try:
        document = json.loads(claims)
        acr = (document.get("id_token") or {}).get("acr") or {}
        if acr.get("essential") is not True:
            return None
        values = acr.get("values", [acr["value"]] if "value" in acr else [])
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise TypeError("acr values are strings")
        return list(values)
    except (ValueError, AttributeError, TypeError, RecursionError) as malformed:
        raise InvalidRequestError("claims is not a valid claims request (OIDC Core 5.5).") \
            from malformed
