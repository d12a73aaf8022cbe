"""Key rotation and revocation seen at once by every API process: two uWSGI instances (two
worker processes each) on one database, the operator CLI in a third process."""
import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from joserfc import jws

from tests.live import ROOT, uwsgi

FLASK = Path(sys.executable).parent / "flask"
#: Requests per instance: enough to reach both of its worker processes.
ROUNDS = 6


def keys_cli(live, *args) -> dict:
    command, *arguments = args
    result = subprocess.run([str(FLASK), "--app", "api", "keys", command, *arguments, "--json"],
                            cwd=ROOT,
                            env={**os.environ, "TESSERA_ENV": "testing", **live.database_env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def token_from(base_url: str, live) -> str:
    client_id, secret = live.clients["service"]
    return requests.post(f"{base_url}/t/live/token", auth=(client_id, secret), timeout=10,
                         data={"grant_type": "client_credentials"}).json()["access_token"]


def kid_of(token: str) -> str:
    return jws.extract_compact(token.encode()).protected["kid"]


def me_statuses(base_url: str, token: str) -> set[int]:
    return {requests.get(f"{base_url}/t/live/api/v1/me", timeout=10,
                         headers={"Authorization": f"Bearer {token}"}).status_code
            for _ in range(ROUNDS)}


def test_every_process_signs_with_the_new_key_and_drops_a_revoked_one(isolated_live):
    live = isolated_live
    with uwsgi("api", {**live.database_env, "PUBLIC_API_URL": live.base_url}) as second:
        instances = (live.base_url, second)
        old = token_from(live.base_url, live)
        for base_url in instances:  # every process has verified and signed with the old key
            assert me_statuses(base_url, old) == {200}
            assert {kid_of(token_from(base_url, live)) for _ in range(ROUNDS)} == {kid_of(old)}
        rotated = keys_cli(live, "rotate", "live")["kid"]
        for base_url in instances:
            assert {kid_of(token_from(base_url, live)) for _ in range(ROUNDS)} == {rotated}
            assert me_statuses(base_url, old) == {200}  # retired, still published
        keys_cli(live, "revoke", "live", kid_of(old))
        for base_url in instances:
            assert me_statuses(base_url, old) == {401}
            jwks = requests.get(f"{base_url}/t/live/jwks.json", timeout=10).json()
            assert [key["kid"] for key in jwks["keys"]] == [rotated]
