"""``/me/factors``, ``/me/recovery-codes``: a user's own second factors."""
