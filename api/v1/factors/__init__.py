"""``/me/factors``, ``/me/recovery-codes``: a user's own second factors; the services also
hold an admin's reset of someone's (``POST /users/{id}/factors/reset``)."""
