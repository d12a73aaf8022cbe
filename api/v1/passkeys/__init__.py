"""``/me/passkeys``: the signed-in user's passkeys: register, list, rename, remove."""
