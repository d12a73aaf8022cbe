"""Backup and restore (bin/db-backup, bin/db-restore, as the admin role): drop everything,
restore, and the tokens issued before and the signing keys still work for the API, which
connects as the runtime role."""
import os
import subprocess
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.live import free_port, seed_live_tenant, uwsgi
from tests.services import fresh_postgres, postgres_server_url, require

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def database():
    server = postgres_server_url()
    require(server is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    with fresh_postgres(server) as database:
        yield database


def run(script, database, *args):
    return subprocess.run([str(ROOT / "bin" / script), *args], cwd=ROOT, check=True,
                          env={**os.environ, **database.env}, capture_output=True, text=True)


def test_backup_drop_restore_keeps_tokens_and_keys(database, tmp_path):
    seeded = seed_live_tenant(database)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with uwsgi("api", {**database.env, "PUBLIC_API_URL": base}, port=port):
        token = requests.post(f"{base}/t/live/token", auth=seeded["clients"]["service"],
                              data={"grant_type": "client_credentials"}, timeout=10).json()
        kids = [k["kid"] for k in requests.get(f"{base}/t/live/jwks.json", timeout=5)
                .json()["keys"]]
        dump = tmp_path / "tessera.dump"
        run("db-backup", database, str(dump))
        engine = sa.create_engine(database.admin_url)
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
        assert requests.get(f"{base}/health/ready", timeout=10).status_code == 503
        run("db-restore", database, str(dump))
        me = None
        for _ in range(5):  # the first request per worker may meet a connection from before
            me = requests.get(f"{base}/t/live/api/v1/me", timeout=10,
                              headers={"Authorization": f"Bearer {token['access_token']}"})
            if me.status_code == 200:
                break
        assert me.status_code == 200
        assert [k["kid"] for k in requests.get(f"{base}/t/live/jwks.json", timeout=5)
                .json()["keys"]] == kids
        fresh = requests.post(f"{base}/t/live/token", auth=seeded["clients"]["service"],
                              data={"grant_type": "client_credentials"}, timeout=10)
        assert fresh.status_code == 200  # the restored private key still signs


def test_backup_refuses_a_role_that_cannot_see_every_tenant(database, tmp_path):
    seed_live_tenant(database)
    dump = tmp_path / "tessera.dump"
    refused = subprocess.run([str(ROOT / "bin" / "db-backup"), str(dump)], cwd=ROOT,
                             env={**os.environ, "DATABASE_URL": database.url},
                             capture_output=True, text=True)
    assert refused.returncode == 1
    assert "cannot see every tenant's rows" in refused.stderr
    assert not dump.exists()
