"""Console sessions at rest: sealed in files and in Redis, and a tampered one is no session."""
from pathlib import Path

import pytest

from frontend.app import create_app
from frontend.console import sessions
from tests.helpers import sign_in
from tests.services import require

REDIS_URL = "redis://127.0.0.1:6379/0"


def signed_in_session(frontend, live) -> tuple[str, dict]:
    """Sign the owner in; the console session's id and (opened) contents."""
    sign_in(frontend, live, live.owner)
    session_id = frontend.get_cookie("tessera_console", path="/t/live/").value
    with frontend.application.app_context():
        data = sessions.load(session_id)
    assert data["access_token"] and data["refresh_token"]
    return session_id, data


def assert_sealed(raw: bytes, data: dict) -> None:
    for secret in (data["access_token"], data["refresh_token"], "access_token", "refresh"):
        assert secret.encode() not in raw


def tampered(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + (b"A" if raw[middle:middle + 1] != b"A" else b"B") + raw[middle + 1:]


def test_session_files_hold_no_token_and_refuse_tampering(frontend, live):
    session_id, data = signed_in_session(frontend, live)
    files = list(Path(frontend.application.instance_path, "console-sessions").iterdir())
    path = next(f for f in files if f.name.startswith(session_id))
    raw = path.read_bytes()
    assert_sealed(raw, data)
    path.write_bytes(tampered(raw))
    with frontend.application.app_context():
        assert sessions.load(session_id) is None
    assert frontend.get("/t/live/console").status_code == 302  # back to sign-in


def test_another_secret_key_opens_nothing(frontend, live):
    session_id, _ = signed_in_session(frontend, live)
    other = create_app({"SECRET_KEY": "another secret key, not the frontend's"})
    other.instance_path = frontend.application.instance_path
    with other.app_context():
        assert sessions.load(session_id) is None


@pytest.fixture
def redis_frontend(live):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        available = client.ping()
    except redis.RedisError:
        available = False
    require(available, f"Redis ({REDIS_URL})")
    app = create_app({"API_INTERNAL_URL": live.base_url, "PUBLIC_API_URL": live.base_url,
                      "FRONTEND_API_KEY": live.frontend_key, "REDIS_URL": REDIS_URL})
    yield app.test_client(), client
    client.close()


def test_redis_holds_no_token_and_refuses_tampering(redis_frontend, live):
    frontend, redis_client = redis_frontend
    session_id, data = signed_in_session(frontend, live)
    key = f"tessera:console:{session_id}"
    raw = redis_client.get(key)
    try:
        assert raw and redis_client.ttl(key) > 0
        assert_sealed(raw, data)
        redis_client.set(key, tampered(raw), keepttl=True)
        with frontend.application.app_context():
            assert sessions.load(session_id) is None
        assert frontend.get("/t/live/console").status_code == 302
    finally:
        redis_client.delete(key)
