"""Passkeys (WebAuthn Level 3): a user's public-key credentials, and the ceremonies that
register and use them.

:class:`~api.passkeys.models.Passkey` rows hold each credential's public key and
signature counter; :class:`~api.passkeys.models.PasskeyChallenge` rows are the
single-use challenges of ceremonies in progress, stored as digests. The use cases,
wrapping py_webauthn, are in :mod:`api.passkeys.services`.
"""
