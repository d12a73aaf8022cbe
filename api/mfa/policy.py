"""The tenant's MFA policy (``mfa_policy``) and what it asks of a user.

- ``off``: nobody can enrol a second factor; factors users already have are still asked
  for at sign-in (turning the policy off never weakens an account), and can be removed;
- ``optional`` (the default): users may enrol on their account page;
- ``required_for_admins``: owners and admins must use a second factor;
- ``required``: everyone must.

A user who must use one and has none is taken through enrolment right after the password,
before any code is issued; so is anyone a client asks a second factor of
(``acr_values=urn:tessera:acr:mfa``, :mod:`api.oauth.challenges`) unless the policy is
``off``, where the wish goes unmet (an essential ``acr`` fails the request). A sign-in
session without a second factor does not satisfy either: the user signs in again
(step-up). Removing one's last
factor is refused while the policy requires it.
"""
from __future__ import annotations

from api.rbac.permissions import ADMIN, OWNER
from api.tenancy.models import MFA_OFF, MFA_REQUIRED, MFA_REQUIRED_FOR_ADMINS, Tenant
from api.users.models import User


def required_of(tenant: Tenant, user: User) -> bool:
    """Whether the tenant's policy requires a second factor of ``user``."""
    if tenant.mfa_policy == MFA_REQUIRED:
        return True
    return tenant.mfa_policy == MFA_REQUIRED_FOR_ADMINS and \
        any(role.name in (OWNER, ADMIN) for role in user.roles)


def may_enrol(tenant: Tenant) -> bool:
    return tenant.mfa_policy != MFA_OFF
