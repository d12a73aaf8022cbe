"""Encryption at rest for secrets Tessera must read back (private signing keys).

A :class:`Sealer` is bound to the app like any extension: ``init_app`` derives
its Fernet key once from SECRET_KEY (HKDF-SHA256, one key per purpose), so the
services that seal and unseal never read the configuration themselves.
"""
from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app


def derive_fernet(secret_key: str, purpose: str) -> Fernet:
    """A Fernet keyed by HKDF-SHA256 of ``secret_key``, distinct for each ``purpose``."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=purpose.encode()).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class Sealer:
    """Seals and unseals values for one purpose with the app's SECRET_KEY."""

    def __init__(self, purpose: str):
        self.purpose = purpose

    def init_app(self, app: Flask) -> None:
        app.extensions[f"sealer:{self.purpose}"] = derive_fernet(app.config["SECRET_KEY"],
                                                                 self.purpose)

    def seal(self, plaintext: bytes) -> str:
        return self._fernet().encrypt(plaintext).decode()

    def unseal(self, sealed: str) -> bytes:
        return self._fernet().decrypt(sealed.encode())

    def _fernet(self) -> Fernet:
        return current_app.extensions[f"sealer:{self.purpose}"]
