"""What many tests share: client credentials, PKCE, reading redirects and forms, callers of
the tenant REST API, playing the browser and the frontend through a sign-in, looking at
every tenant's rows, and driving headless Chromium (screenshots, the phone width check,
axe-core)."""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt as pyjwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from sqlalchemy import event, select

from api.db import tenant_scope
from api.rbac.permissions import ALL
from api.tenancy.models import Tenant
from tests.factories import PASSWORD
from tests.live import CALLBACK
from tests.services import require

REDIRECT_URI = "https://app.example/callback"
ROOT = Path(__file__).resolve().parent.parent
#: Where browser tests leave screenshots for people to look at.
ARTIFACTS = ROOT / "test-artifacts"
#: Debian's Chromium, driven through Playwright (never ``playwright install``).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
#: axe-core from npm (tests/e2e/package.json, installed by ``make test``), injected into the
#: pages it checks; these impacts fail a test.
AXE = ROOT / "tests" / "e2e" / "node_modules" / "axe-core" / "axe.min.js"
AXE_BLOCKING = ("serious", "critical")


def each_tenant(db):
    """Scope the session to each tenant in turn, yielding the tenant: how a test looks at every
    tenant's rows (on PostgreSQL the runtime role the suite connects as sees none of them in an
    ``unscoped`` block). Consume it whole."""
    for tenant in db.session.scalars(select(Tenant).order_by(Tenant.slug)).all():
        with tenant_scope(db.session, tenant.id):
            yield tenant


def count_everywhere(db, statement) -> int:
    """The sum of a count ``statement`` over every tenant."""
    return sum(db.session.scalar(statement) for _ in each_tenant(db))


def basic_auth(client_id: str, secret: str) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@contextmanager
def sql_statements(engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(connection, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def csrf_token(page) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page.get_data(as_text=True)).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def console_cookie(frontend) -> str | None:
    cookie = frontend.get_cookie("tessera_console", path="/t/live/")
    return cookie.value if cookie else None


def sign_in(frontend, live, email):
    """Browser (requests, at the API) and frontend (test client) through the whole flow."""
    browser = requests.Session()
    start = frontend.get("/t/live/console/login")
    assert start.status_code == 302 and start.headers["Location"].startswith(live.issuer)
    pending_id = console_cookie(frontend)
    at_api = browser.get(start.headers["Location"], allow_redirects=False, timeout=5)
    login = frontend.get(local(at_api.headers["Location"]))
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"',
                          login.get_data(as_text=True)).group(1)
    posted = frontend.post("/t/live/login", data={"csrf_token": csrf_token(login),
                                                  "challenge": challenge, "email": email,
                                                  "password": live.password})
    assert posted.status_code == 303, posted.get_data(as_text=True)  # first party: no consent
    back = browser.get(posted.headers["Location"], allow_redirects=False, timeout=5)
    callback = frontend.get(local(back.headers["Location"]))
    assert callback.status_code == 302 and callback.headers["Location"].endswith("/console")
    assert console_cookie(frontend) not in (None, pending_id)  # the id rotated at sign-in
    return browser


def discover(live) -> dict:
    return requests.get(f"{live.issuer}/.well-known/openid-configuration", timeout=5).json()


def verify_jwt(live, token: str, audience: str, typ: str = "at+jwt") -> dict:
    """Verify with PyJWT using the key the JWKS publishes for the token's kid."""
    assert pyjwt.get_unverified_header(token)["typ"] == typ
    signing_key = pyjwt.PyJWKClient(discover(live)["jwks_uri"]).get_signing_key_from_jwt(token)
    return pyjwt.decode(token, signing_key.key, algorithms=["RS256", "ES256"],
                        audience=audience, issuer=live.issuer)


def owner_api(live, issuer: str | None = None) -> requests.Session:
    """A requests session carrying the owner's token (admin-cli's password grant, every
    permission) for the live tenant's REST API at ``issuer`` (that of another API process
    on the same database, say; by default the tenant's own)."""
    client_id, secret = live.clients["admin-cli"]
    token = requests.post(f"{issuer or live.issuer}/token", auth=(client_id, secret),
                          timeout=10, data={
        "grant_type": "password", "username": live.owner, "password": live.password})
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return session


def get_me(live, access_token):
    return requests.get(f"{live.issuer}/api/v1/me", timeout=5,
                        headers={"Authorization": f"Bearer {access_token}"})


def sign_in_through_frontend(live, browser: requests.Session, authorization_url: str,
                             email: str) -> str:
    """Play the browser and the frontend; returns the client's callback URL."""
    to_frontend = browser.get(authorization_url, allow_redirects=False, timeout=5)
    assert to_frontend.status_code == 302
    challenge = to_frontend.headers["Location"].split("challenge=")[1]
    api = f"{live.issuer}/sign-in/challenges/{challenge}"
    headers = {"X-Frontend-Key": live.frontend_key}
    response = requests.post(f"{api}/login", json={"email": email, "password": live.password},
                             headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    step = response.json()
    if step["consent_required"]:
        step = requests.post(f"{api}/consent", json={"approve": True}, headers=headers,
                             timeout=5).json()
    back = browser.get(step["redirect_to"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    return back.headers["Location"]


CLIENT_SCOPE = "projects:read projects:write users:read clients:read"


@dataclass
class Api:
    """Requests to one tenant's REST API as one caller."""

    http: object
    slug: str
    token: str | None

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, **kwargs):
        return self.http.open(f"/t/{self.slug}/api/v1{path}", method=method,
                              headers=self.headers, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


class Callers:
    """Mints tokens for one tenant: users through the password grant, a service account."""

    def __init__(self, http, factories, tenant):
        self.http, self.factories, self.tenant = http, factories, tenant
        self.app_client, self.app_secret = factories.client(
            tenant, grant_types=("password", "refresh_token"), scope="openid " + " ".join(ALL))
        self.service, self.service_secret = factories.client(
            tenant, grant_types=("client_credentials",), scope=CLIENT_SCOPE)

    def token(self, email: str, scope: str | None = None) -> str:
        form = {"grant_type": "password", "username": email, "password": PASSWORD}
        if scope:
            form["scope"] = scope
        response = self.http.post(f"/t/{self.tenant.slug}/token", data=form,
                                  headers=basic_auth(self.app_client.client_id, self.app_secret))
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    def as_user(self, email: str, scope: str | None = None) -> Api:
        return Api(self.http, self.tenant.slug, self.token(email, scope))

    def as_new_user(self, role: str, scope: str | None = None) -> Api:
        user = self.factories.user(self.tenant, role=role)
        return self.as_user(user.email, scope)

    def as_service(self) -> Api:
        response = self.http.post(f"/t/{self.tenant.slug}/token",
                                  data={"grant_type": "client_credentials"},
                                  headers=basic_auth(self.service.client_id, self.service_secret))
        return Api(self.http, self.tenant.slug, response.json["access_token"])

    def anonymous(self) -> Api:
        return Api(self.http, self.tenant.slug, None)


def shot(page, name: str) -> None:
    """A full-page screenshot of a Playwright page into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def capture_callback(page, callback: str) -> dict:
    """Answer the client's ``callback`` in a Playwright page and keep what it received."""
    received = {}

    def handle(route):
        received.update({k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query)
                         .items()})
        route.fulfill(status=200, body="callback received")

    page.route(f"{callback}*", handle)
    return received


def browser_sign_in(page, email, password):
    """Fill and submit the frontend's sign-in form in a Playwright page."""
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def overflow(page) -> int:
    """How many pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line each."""
    require(AXE.exists(), "axe-core (make test runs npm ci in tests/e2e)")
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (an
    # injected <script> would be refused, as it should be).
    page.evaluate(AXE.read_text() + "\n;typeof axe")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{json.dumps([n['target'] for n in v['nodes']][:3])}"
            for v in result["violations"] if v["impact"] in AXE_BLOCKING]


def check_page(page, name: str, phone: bool) -> list[str]:
    """Screenshot the page and say what is wrong with it: too wide for a phone, axe."""
    shot(page, f"{name}-{'phone' if phone else 'desktop'}")
    problems = [f"{name}: {v}" for v in axe_violations(page)]
    if phone and overflow(page) > 0:
        problems.append(f"{name}: {overflow(page)} px wider than a 390 px phone")
    return problems


def start_flow(live, client_name="web", scope="openid email projects:read", **params):
    """A browser at the API's authorization endpoint; returns (browser, challenge)."""
    client_id, _ = live.clients[client_name]
    session = OAuth2Session(client_id, scope=scope, redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    url, _ = session.create_authorization_url(f"{live.issuer}/authorize",
                                              code_verifier="f" * 64, **params)
    browser = requests.Session()
    response = browser.get(url, allow_redirects=False, timeout=5)
    return browser, parse_qs(urlsplit(response.headers["Location"]).query)["challenge"][0]
