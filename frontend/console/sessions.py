"""Server-side console sessions: the browser holds only an opaque, random id.

Sessions live in Redis when REDIS_URL is set (several frontend hosts), else in
files under the instance folder (one host, any number of uWSGI workers). They
hold the user's access and refresh tokens, so every store keeps them encrypted
(Fernet, keyed by HKDF-SHA256 of SECRET_KEY with this module's own purpose): a
copied file or Redis dump reveals no token, and a value that does not decrypt
(tampered, or written under another SECRET_KEY) is no session at all.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

import identifiers

COOKIE = "tessera_console"
LIFETIME = 12 * 3600
PURPOSE = b"tessera frontend console sessions"


def session_cipher(secret_key: str) -> Fernet:
    """The Fernet that seals sessions: HKDF-SHA256 of ``secret_key`` for :data:`PURPOSE`."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=PURPOSE).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SealedStore:
    """What every store shares: sessions are sealed on the way in, opened on the way out."""

    def __init__(self, cipher: Fernet):
        self.cipher = cipher

    def seal(self, data: dict) -> bytes:
        return self.cipher.encrypt(json.dumps(data).encode())

    def open(self, sealed: bytes | None) -> dict | None:
        """The session in ``sealed``, or None when there is none, it was tampered with,
        or it has expired."""
        try:
            data = json.loads(self.cipher.decrypt(sealed)) if sealed else None
        except (InvalidToken, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("expires", 0) > time.time() else None


class FileStore(SealedStore):
    def __init__(self, folder: str, cipher: Fernet):
        super().__init__(cipher)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.session"

    def load(self, session_id: str) -> dict | None:
        try:
            sealed = self._path(session_id).read_bytes()
        except OSError:
            return None
        return self.open(sealed)

    def save(self, session_id: str, data: dict) -> None:
        path = self._path(session_id)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.seal(data))
        temporary.replace(path)

    def delete(self, session_id: str) -> None:
        self._path(session_id).unlink(missing_ok=True)


class RedisStore(SealedStore):
    def __init__(self, url: str, cipher: Fernet):
        import redis

        super().__init__(cipher)
        self.redis = redis.Redis.from_url(url)

    def load(self, session_id: str) -> dict | None:
        return self.open(self.redis.get(f"tessera:console:{session_id}"))

    def save(self, session_id: str, data: dict) -> None:
        ttl = max(1, int(data.get("expires", time.time() + LIFETIME) - time.time()))
        self.redis.set(f"tessera:console:{session_id}", self.seal(data), ex=ttl)

    def delete(self, session_id: str) -> None:
        self.redis.delete(f"tessera:console:{session_id}")


def store() -> FileStore | RedisStore:
    extensions = current_app.extensions
    if "console_sessions" not in extensions:
        url = current_app.config.get("REDIS_URL")
        cipher = session_cipher(current_app.config["SECRET_KEY"])
        extensions["console_sessions"] = (
            RedisStore(url, cipher) if url else
            FileStore(os.path.join(current_app.instance_path, "console-sessions"), cipher))
    return extensions["console_sessions"]


def valid_id(session_id: str | None) -> bool:
    """Whether ``session_id`` could be one we made (it names a file or a Redis key)."""
    return identifiers.is_token(session_id)


def create(data: dict, lifetime: int = LIFETIME) -> str:
    """A new session under a fresh id (ids rotate at every sign-in)."""
    session_id = secrets.token_urlsafe(32)
    store().save(session_id, {**data, "expires": time.time() + lifetime})
    return session_id


def load(session_id: str | None) -> dict | None:
    return store().load(session_id) if valid_id(session_id) else None


def save(session_id: str, data: dict) -> None:
    store().save(session_id, data)


def delete(session_id: str | None) -> None:
    if valid_id(session_id):
        store().delete(session_id)
