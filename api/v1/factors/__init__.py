"""``/me/factors``, ``/me/recovery-codes``: a user's own second factors; and
``/users/{id}/factors/reset``: an admin removes someone's."""
