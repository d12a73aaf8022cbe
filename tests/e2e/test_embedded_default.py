"""The embedded default as `make run` serves it: SQLite, migrated with `flask db upgrade`,
the demo tenant from `flask demo`, both apps under uWSGI in development mode.

The rest of the suite runs on PostgreSQL in CI; this module keeps a new user's first steps
working where they take them: the owner signs in to the console, a third-party app goes
through the code flow, refreshes, calls the API, introspects and revokes, and a service gets
a client_credentials token.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers import browser_sign_in, capture_callback
from tests.live import ROOT, free_port, uwsgi

FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "api"]
DEMO_CALLBACK = "http://localhost:9000/callback"  # the demo client's (api.cli.demo)


@dataclass(frozen=True)
class FirstRun:
    api_url: str
    frontend_url: str
    owner: str
    password: str
    client: tuple[str, str]

    @property
    def issuer(self) -> str:
        return f"{self.api_url}/t/demo"


def _credential(output: str, label: str) -> str:
    return re.search(rf"{label}:\s+(\S+)", output).group(1)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    api_port, frontend_port = free_port(), free_port()
    api_url, frontend_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{frontend_port}"
    env = {"TESSERA_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('first-run') / 'tessera.db'}",
           "PUBLIC_API_URL": api_url, "PUBLIC_FRONTEND_URL": frontend_url,
           "API_INTERNAL_URL": api_url}
    process_env = {**os.environ, **env}
    subprocess.run([*FLASK, "db", "upgrade"], env=process_env, cwd=ROOT, check=True,
                   capture_output=True)
    demo = subprocess.run([*FLASK, "demo"], env=process_env, cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    owner = re.search(r"owner:\s+(\S+) / (\S+)", demo)
    with uwsgi("api", env, port=api_port), uwsgi("frontend", env, port=frontend_port):
        yield FirstRun(api_url, frontend_url, owner.group(1), owner.group(2),
                       (_credential(demo, "client_id"), _credential(demo, "client_secret")))


def test_the_owner_signs_in_to_the_console(page, first_run):
    page.goto(f"{first_run.frontend_url}/t/demo/console")
    browser_sign_in(page, first_run.owner, first_run.password)
    page.wait_for_selector("text=Your role")
    page.goto(f"{first_run.frontend_url}/t/demo/console/users")
    assert first_run.owner in page.content()


def test_an_app_signs_the_owner_in_refreshes_and_revokes(page, first_run):
    client_id, secret = first_run.client
    session = OAuth2Session(client_id, secret, scope="openid email offline_access",
                            redirect_uri=DEMO_CALLBACK, code_challenge_method="S256")
    verifier = "v" * 64
    url, state = session.create_authorization_url(f"{first_run.issuer}/authorize",
                                                  code_verifier=verifier, prompt="consent")
    received = capture_callback(page, DEMO_CALLBACK)
    page.goto(url)
    browser_sign_in(page, first_run.owner, first_run.password)
    page.wait_for_selector("text=Allow access?")
    page.click("button[name=allow]")
    page.wait_for_function("() => document.body.innerText.includes('callback received')")
    callback = f"{DEMO_CALLBACK}?code={received['code']}&state={state}&iss={received['iss']}"
    token = session.fetch_token(f"{first_run.issuer}/token", authorization_response=callback,
                                code_verifier=verifier, state=state)
    refreshed = session.refresh_token(f"{first_run.issuer}/token",
                                      refresh_token=token["refresh_token"])
    access = refreshed["access_token"]
    assert access != token["access_token"]

    me = requests.get(f"{first_run.issuer}/api/v1/me",
                      headers={"Authorization": f"Bearer {access}"}, timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["user"]["email"] == first_run.owner
    introspected = requests.post(f"{first_run.issuer}/introspect", auth=first_run.client,
                                 data={"token": access}, timeout=10).json()
    assert introspected["active"] is True and introspected["username"] == first_run.owner

    revoked = requests.post(f"{first_run.issuer}/revoke", auth=first_run.client,
                            data={"token": access}, timeout=10)
    assert revoked.status_code == 200
    assert requests.get(f"{first_run.issuer}/api/v1/me", timeout=10,
                        headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_a_service_reads_projects_with_a_client_credentials_token(first_run):
    token = requests.post(f"{first_run.issuer}/token", auth=first_run.client, timeout=10,
                          data={"grant_type": "client_credentials", "scope": "projects:read"})
    assert token.status_code == 200, token.text
    projects = requests.get(f"{first_run.issuer}/api/v1/projects", timeout=10, headers={
        "Authorization": f"Bearer {token.json()['access_token']}"})
    assert projects.status_code == 200, projects.text
    assert projects.json()["items"] == []
