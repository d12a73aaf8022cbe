"""End-user accounts: self-service sign-up, email verification, password reset, email change.

The single-use links those flows mail out are :class:`~api.accounts.models.AccountToken`
rows, stored only as digests; the use cases are in :mod:`api.accounts.services`,
and the endpoints the frontend's public pages call in :mod:`api.accounts.routes`.
"""
