"""``/initial-access-tokens``: tokens that let their bearer register clients dynamically."""
