"""Real browser (headless Chromium through Playwright) against the apps under uWSGI.

Screenshots of each main page go to test-artifacts/ for people to look at.
"""
import uuid
from urllib.parse import parse_qs

from authlib.integrations.requests_client import OAuth2Session

from tests.helpers import browser_sign_in as sign_in
from tests.helpers import capture_callback, shot
from tests.live import CALLBACK


def test_third_party_code_flow_with_consent(page, live_stack):
    live = live_stack.tenant
    client_id, secret = live.clients["web"]
    session = OAuth2Session(client_id, secret, scope="openid email projects:read",
                            redirect_uri=CALLBACK, code_challenge_method="S256")
    verifier = "b" * 64
    url, state = session.create_authorization_url(f"{live_stack.issuer}/authorize",
                                                  code_verifier=verifier)
    received = capture_callback(page, CALLBACK)
    page.goto(url)
    assert page.locator("h1").inner_text() == "Sign in"
    assert "View projects" in page.content()
    shot(page, "sign-in")
    sign_in(page, "user1@live.example", live.password)
    page.wait_for_selector("text=Allow access?")
    shot(page, "consent")
    page.click("button[name=allow]")
    page.wait_for_function("() => document.body.innerText.includes('callback received')")
    assert received["state"] == state and received["iss"] == live_stack.issuer
    callback = f"{CALLBACK}?code={received['code']}&state={state}&iss={received['iss']}"
    token = session.fetch_token(f"{live_stack.issuer}/token", authorization_response=callback,
                                code_verifier=verifier, state=state)
    assert token["access_token"] and token["scope"] == "openid email projects:read"


def test_form_post_response_mode_posts_the_code_to_the_client(page, live_stack):
    """The frontend's page submits itself (a static script under the CSP) to the client."""
    live = live_stack.tenant
    client_id, secret = live.clients["web"]
    session = OAuth2Session(client_id, secret, scope="openid", redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    verifier = "e" * 64
    url, state = session.create_authorization_url(f"{live_stack.issuer}/authorize",
                                                  code_verifier=verifier,
                                                  response_mode="form_post")
    posted = {}

    def handle(route):
        posted["method"] = route.request.method
        posted.update({k: v[0] for k, v in parse_qs(route.request.post_data or "").items()})
        route.fulfill(status=200, body="callback received")

    page.route(f"{CALLBACK}*", handle)
    page.goto(url)
    sign_in(page, "user3@live.example", live.password)
    page.wait_for_selector("text=Allow access?")
    page.click("button[name=allow]")
    page.wait_for_function("() => document.body.innerText.includes('callback received')")
    assert posted["method"] == "POST" and posted["state"] == state
    assert posted["iss"] == live_stack.issuer
    token = session.fetch_token(f"{live_stack.issuer}/token", code=posted["code"],
                                code_verifier=verifier)
    assert token["access_token"] and token["scope"] == "openid"


def test_deny_returns_access_denied(page, live_stack):
    live = live_stack.tenant
    client_id, _ = live.clients["web"]
    session = OAuth2Session(client_id, scope="openid", redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    url, _ = session.create_authorization_url(f"{live_stack.issuer}/authorize",
                                              code_verifier="d" * 64)
    received = capture_callback(page, CALLBACK)
    page.goto(url)
    sign_in(page, "user2@live.example", live.password)
    page.click("button[name=deny]")
    page.wait_for_function("() => document.body.innerText.includes('callback received')")
    assert received["error"] == "access_denied"


def console_sign_in(page, live_stack, email):
    page.goto(f"{live_stack.frontend_url}/t/live/console")
    sign_in(page, email, live_stack.tenant.password)
    page.wait_for_selector("text=Your role")


def test_console_sign_in_pages_and_sign_out(page, live_stack):
    console_sign_in(page, live_stack, live_stack.tenant.owner)
    shot(page, "dashboard")
    for name in ("users", "roles", "clients", "tokens", "audit", "settings", "account"):
        page.goto(f"{live_stack.frontend_url}/t/live/console/{name}")
        assert page.locator("h1").count() == 1
        shot(page, name)
    page.click("text=Sign out")
    page.wait_for_selector("h1:has-text('You are signed out')")
    page.goto(f"{live_stack.frontend_url}/t/live/console")
    page.wait_for_selector("h1:has-text('Sign in')")  # asked for the password again


def test_create_a_client_and_see_its_secret_once(page, live_stack):
    console_sign_in(page, live_stack, live_stack.tenant.owner)
    page.goto(f"{live_stack.frontend_url}/t/live/console/clients/new")
    name = f"Browser app {uuid.uuid4().hex[:4]}"
    page.check("input[name=app_type][value=m2m]")
    page.fill("input[name=client_name]", name)
    page.check("input[name=scope][value='projects:read']")
    page.click("button:has-text('Register')")
    secret = page.input_value("#client-secret")
    assert len(secret) > 30
    shot(page, "client-created")
    page.click("text=I have stored it")
    assert name in page.content() and secret not in page.content()


def test_revoke_a_token_and_see_it_disappear(page, live_stack):
    live = live_stack.tenant
    client_id, secret = live.clients["legacy"]
    import requests
    requests.post(f"{live_stack.issuer}/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "password", "username": "user3@live.example", "password": live.password})
    console_sign_in(page, live_stack, live.owner)
    page.goto(f"{live_stack.frontend_url}/t/live/console/tokens")
    row = page.locator("tr", has_text="user3@live.example").first
    assert row.count() == 1
    rows_before = page.locator("tr", has_text="user3@live.example").count()
    row.locator("summary").click()
    row.locator("button.danger").click()
    page.wait_for_selector("text=Access revoked.")
    assert page.locator("tr", has_text="user3@live.example").count() == rows_before - 1


def test_an_admin_cannot_see_the_settings_page(page, live_stack):
    import requests
    owner_client, owner_secret = live_stack.tenant.clients["admin-cli"]
    token = requests.post(f"{live_stack.issuer}/token", auth=(owner_client, owner_secret),
                          timeout=10, data={"grant_type": "password",
                                            "username": live_stack.tenant.owner,
                                            "password": live_stack.tenant.password}).json()
    email = f"admin-{uuid.uuid4().hex[:6]}@live.example"
    requests.post(f"{live_stack.issuer}/api/v1/users", timeout=10,
                  headers={"Authorization": f"Bearer {token['access_token']}"},
                  json={"email": email, "password": live_stack.tenant.password,
                        "role": "admin"}).raise_for_status()
    console_sign_in(page, live_stack, email)
    assert page.locator("nav >> text=Settings").count() == 0
    response = page.goto(f"{live_stack.frontend_url}/t/live/console/settings")
    assert response.status == 403
