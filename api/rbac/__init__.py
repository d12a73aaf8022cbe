"""Role-based access control, the catalogue: permission names, scopes, roles.

The level above (who is calling, the bearer guard, the ceilings) is
:mod:`api.access`; the ``/roles`` resource is :mod:`api.v1.roles`.
"""
