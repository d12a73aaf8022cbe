"""The local stack (bin/stack): two API instances and the frontend behind nginx, on PostgreSQL.

Discovery, grants, revocation and the tenant API through nginx; rate limiting;
scale-out (a token from one instance works on the other, a revocation through one
holds on the other); an instance killed under load.
"""
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.live import free_port
from tests.services import fresh_postgres, postgres_server_url, require

ROOT = Path(__file__).resolve().parent.parent.parent
PASSWORD = "correct horse battery staple"
CALLBACK = "http://127.0.0.1:9999/callback"


def flask_cli(env, *args) -> dict:
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "api", *args,
                             "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def free_socket_base() -> int:
    """A base for bin/stack's uwsgi sockets (base+1, +2, +11), all free and below the
    kernel's ephemeral range, where outgoing connections would take ports from under it."""
    while True:
        base = random.randrange(20000, 30000)
        try:
            for offset in (1, 2, 11):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", base + offset))
        except OSError:
            continue
        return base


@pytest.fixture(scope="module")
def stack():
    require(shutil.which("nginx") is not None, "nginx")
    server = postgres_server_url()
    require(server is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    with fresh_postgres(server) as database:
        api_port, frontend_port = free_port(), free_port()
        env = {**os.environ, **database.env, "TESSERA_ENV": "testing",
               "STACK_API_PORT": str(api_port), "STACK_FRONTEND_PORT": str(frontend_port),
               "STACK_SOCKET_BASE": str(free_socket_base()),
               "PUBLIC_API_URL": f"http://127.0.0.1:{api_port}",
               "PUBLIC_FRONTEND_URL": f"http://127.0.0.1:{frontend_port}"}
        command = [sys.executable, str(ROOT / "bin" / "stack")]
        started = subprocess.run([*command, "start"], cwd=ROOT, env=env, capture_output=True,
                                 text=True)
        assert started.returncode == 0, f"bin/stack start failed:\n{started.stderr}"
        try:
            base = f"http://127.0.0.1:{api_port}"
            _wait(f"{base}/health/ready")
            flask_cli(env, "tenants", "create", "stack", "--name", "Stack",
                      "--owner-email", "owner@stack.io", "--owner-password", PASSWORD)
            service = flask_cli(env, "clients", "create", "stack", "--name", "svc",
                                "--grant", "client_credentials", "--scope", "projects:read")
            admin = flask_cli(env, "clients", "create", "stack", "--name", "cli",
                              "--grant", "password", "--scope", "audit:read projects:read")
            web = flask_cli(env, "clients", "create", "stack", "--name", "web", "--grant",
                            "authorization_code", "--scope", "openid projects:read",
                            "--redirect-uri", CALLBACK)
            yield {"base": base, "issuer": f"{base}/t/stack", "service": service,
                   "admin": admin, "web": web, "frontend": f"http://127.0.0.1:{frontend_port}",
                   "env": env}
        finally:
            subprocess.run([*command, "stop"], cwd=ROOT, env=env, check=False)


def _wait(url):
    for _ in range(100):
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} never became ready")


def service_token(stack) -> str:
    client = stack["service"]
    response = requests.post(f"{stack['issuer']}/token", timeout=10,
                             auth=(client["client_id"], client["client_secret"]),
                             data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def me(stack, token):
    return requests.get(f"{stack['issuer']}/api/v1/me", timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


def test_discovery_grants_and_api_through_nginx(stack):
    metadata = requests.get(f"{stack['issuer']}/.well-known/openid-configuration",
                            timeout=5).json()
    assert metadata["issuer"] == stack["issuer"]
    token = service_token(stack)
    assert me(stack, token).json()["type"] == "client"
    page = requests.get(f"{stack['frontend']}/", timeout=5)
    assert page.status_code == 200 and "Tessera" in page.text
    css = requests.get(f"{stack['frontend']}/static/tessera.css", timeout=5)
    assert css.status_code == 200 and "max-age" in css.headers["Cache-Control"]


def test_request_ids_pass_through_and_forwarded_headers_are_not_trusted(stack):
    echoed = requests.get(f"{stack['base']}/health", headers={"X-Request-ID": "trace-42"},
                          timeout=5)
    assert echoed.headers["X-Request-ID"] == "trace-42"
    assert requests.get(f"{stack['base']}/health", timeout=5).headers["X-Request-ID"]
    admin = stack["admin"]
    token = requests.post(f"{stack['issuer']}/token", timeout=10,
                          auth=(admin["client_id"], admin["client_secret"]),
                          headers={"X-Forwarded-For": "203.0.113.66"},
                          data={"grant_type": "password", "username": "owner@stack.io",
                                "password": PASSWORD, "scope": "audit:read"}).json()
    events = requests.get(f"{stack['issuer']}/api/v1/audit-events", timeout=10,
                          params={"action": "sign_in.succeeded"},
                          headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert events["items"][0]["ip"] == "127.0.0.1"


def test_metrics_are_not_reachable_from_outside(stack):
    assert requests.get(f"{stack['base']}/metrics", timeout=5).status_code == 404


def test_token_bursts_get_429_while_other_traffic_is_served(stack):
    client = stack["service"]

    def token_request(_):
        return requests.post(f"{stack['issuer']}/token", timeout=30,
                             auth=(client["client_id"], client["client_secret"]),
                             data={"grant_type": "client_credentials"}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(token_request, range(120)))
    assert 429 in statuses and 200 in statuses
    assert requests.get(f"{stack['issuer']}/jwks.json", timeout=5).status_code == 200


def test_tokens_and_revocations_hold_across_instances(stack):
    time.sleep(2)  # let the token rate limit refill
    token = service_token(stack)
    assert all(me(stack, token).status_code == 200 for _ in range(6))  # both instances
    client = stack["service"]
    revoked = requests.post(f"{stack['issuer']}/revoke", timeout=10, data={"token": token},
                            auth=(client["client_id"], client["client_secret"]))
    assert revoked.status_code == 200
    assert all(me(stack, token).status_code == 401 for _ in range(6))


def test_requests_within_nginx_limits_reach_the_app_and_no_instance_is_taken_down(stack):
    """An 8 KB request line (REQUEST_URI and QUERY_STRING both carry it) or three 8 KB
    headers make uwsgi packets over 16 KiB, and 500 headers as many variables: the workers
    take them (uwsgi.ini's buffer-size, max-vars). A worker that dropped them made nginx take
    its instance for dead, and two such requests answered 502 to everyone for 10 s."""
    me_url = f"{stack['issuer']}/api/v1/me"
    requests_within_limits = [
        {"url": f"{me_url}?padding={'a' * 7900}"},
        {"url": me_url, "headers": {f"X-Padding-{number}": "a" * 7900 for number in range(3)}},
        {"url": me_url, "headers": {f"X-Header-{number}": "value" for number in range(500)}}]
    for _ in range(2):  # both instances
        for request in requests_within_limits:
            assert requests.get(**request, timeout=10).status_code == 401
    assert requests.get(f"{stack['base']}/health", timeout=5).status_code == 200


def test_killing_an_instance_under_load_loses_no_request(stack):
    time.sleep(2)
    token = service_token(stack)
    pidfile = ROOT / ".stack" / "api1.pid"
    pid = int(pidfile.read_text())

    def call(number):
        if number == 40:
            os.kill(pid, signal.SIGKILL)  # the master dies; nginx moves on to api2
        return me(stack, token).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(call, range(200)))
    assert statuses.count(200) == 200, {s: statuses.count(s) for s in set(statuses)}


def test_discovery_and_jwks_are_cached_briefly_by_nginx(stack):
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        first = requests.get(f"{stack['issuer']}{path}", timeout=5)
        second = requests.get(f"{stack['issuer']}{path}", timeout=5)
        assert first.json() == second.json()
        assert second.headers["X-Cache-Status"] == "HIT"
        assert "max-age" in second.headers["Cache-Control"]


def test_a_rotated_key_reaches_the_jwks_behind_nginx_within_seconds(stack):
    jwks_url = f"{stack['issuer']}/jwks.json"
    requests.get(jwks_url, timeout=5)  # now in nginx's cache
    rotated = flask_cli(stack["env"], "keys", "rotate", "stack")
    started = time.monotonic()
    while rotated["kid"] not in [key["kid"] for key in requests.get(jwks_url, timeout=5)
                                 .json()["keys"]]:
        assert time.monotonic() - started < 10, "the new key is still missing from the JWKS"
        time.sleep(0.5)


def test_authorization_code_through_both_nginx_servers(stack):
    web = stack["web"]
    verifier = "s" * 64
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    browser = requests.Session()
    to_login = browser.get(f"{stack['issuer']}/authorize", allow_redirects=False, timeout=10,
                           params={"response_type": "code", "client_id": web["client_id"],
                                   "redirect_uri": CALLBACK, "scope": "openid projects:read",
                                   "state": "st", "code_challenge_method": "S256",
                                   "code_challenge": challenge.rstrip(b"=").decode()})
    assert to_login.headers["Location"].startswith(f"{stack['frontend']}/t/stack/login")
    login = browser.get(to_login.headers["Location"], timeout=10)
    assert login.status_code == 200 and "web" in login.text
    fields = dict(re.findall(r'name="(csrf_token|challenge)" type="hidden" value="([^"]+)"',
                             login.text))
    posted = browser.post(f"{stack['frontend']}/t/stack/login", allow_redirects=False,
                          timeout=10, data={**fields, "email": "owner@stack.io",
                                            "password": PASSWORD})
    consent = browser.get(f"{stack['frontend']}{posted.headers['Location']}", timeout=10)
    fields = dict(re.findall(r'name="(csrf_token|challenge)" type="hidden" value="([^"]+)"',
                             consent.text))
    decided = browser.post(f"{stack['frontend']}/t/stack/consent", allow_redirects=False,
                           timeout=10, data={**fields, "allow": "1"})
    back = browser.get(decided.headers["Location"], allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(back.headers["Location"]).query)["code"][0]
    tokens = requests.post(f"{stack['issuer']}/token", timeout=10,
                           auth=(web["client_id"], web["client_secret"]),
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert tokens.status_code == 200 and tokens.json()["id_token"]
