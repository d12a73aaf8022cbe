"""Server-side console sessions: the browser holds only an opaque, random id.

Sessions live in Redis when REDIS_URL is set (several frontend hosts), else in
files under the instance folder (one host, any number of uWSGI workers).
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from flask import current_app

COOKIE = "tessera_console"
LIFETIME = 12 * 3600


class FileStore:
    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, session_id: str) -> Path:
        return self.folder / f"{session_id}.json"

    def load(self, session_id: str) -> dict | None:
        try:
            data = json.loads(self._path(session_id).read_text())
        except (OSError, ValueError):
            return None
        return data if data.get("expires", 0) > time.time() else None

    def save(self, session_id: str, data: dict) -> None:
        path = self._path(session_id)
        temporary = path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        temporary.replace(path)

    def delete(self, session_id: str) -> None:
        self._path(session_id).unlink(missing_ok=True)


class RedisStore:
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def load(self, session_id: str) -> dict | None:
        raw = self.redis.get(f"tessera:console:{session_id}")
        return json.loads(raw) if raw else None

    def save(self, session_id: str, data: dict) -> None:
        self.redis.set(f"tessera:console:{session_id}", json.dumps(data), ex=LIFETIME)

    def delete(self, session_id: str) -> None:
        self.redis.delete(f"tessera:console:{session_id}")


def store() -> FileStore | RedisStore:
    extensions = current_app.extensions
    if "console_sessions" not in extensions:
        url = current_app.config.get("REDIS_URL")
        extensions["console_sessions"] = (
            RedisStore(url) if url else
            FileStore(os.path.join(current_app.instance_path, "console-sessions")))
    return extensions["console_sessions"]


def valid_id(session_id: str | None) -> bool:
    return bool(session_id) and len(session_id) == 43 and session_id.replace(
        "-", "").replace("_", "").isalnum()


def create(data: dict) -> str:
    """A new session under a fresh id (ids rotate at every sign-in)."""
    session_id = secrets.token_urlsafe(32)
    store().save(session_id, {**data, "expires": time.time() + LIFETIME})
    return session_id


def load(session_id: str | None) -> dict | None:
    return store().load(session_id) if valid_id(session_id) else None


def save(session_id: str, data: dict) -> None:
    store().save(session_id, data)


def delete(session_id: str | None) -> None:
    if valid_id(session_id):
        store().delete(session_id)
