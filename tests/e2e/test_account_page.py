"""The account page's sessions and applications in headless Chromium against the API and
frontend under uWSGI: one person signed in from two browsers sees both (this one marked,
the other named by its User-Agent), ends the other (which is signed out), and revokes an
application they allowed. Screenshots land in test-artifacts/."""
import uuid

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers import DESKTOP, browser_sign_in, capture_callback, shot
from tests.live import CALLBACK

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


def new_user(stack) -> str:
    live = stack.tenant
    client_id, secret = live.clients["admin-cli"]
    token = requests.post(f"{stack.issuer}/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "password", "username": live.owner,
        "password": live.password}).json()["access_token"]
    email = f"devices-{uuid.uuid4().hex[:6]}@live.example"
    created = requests.post(f"{stack.issuer}/api/v1/users", timeout=10, json={
        "email": email, "password": live.password, "role": "user"},
        headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    return email


def account(page, stack, email):
    """Sign in to the console in ``page``, then open the account page."""
    page.goto(f"{stack.frontend_url}/t/live/console")
    browser_sign_in(page, email, stack.tenant.password)
    page.wait_for_selector("text=Your role")
    page.goto(f"{stack.frontend_url}/t/live/account")
    page.wait_for_selector("h2:has-text('Where you are signed in')")


def allow_web_app(page, stack) -> dict:
    """Allow the live tenant's "web" client in ``page`` (signed in already); its tokens."""
    client_id, secret = stack.tenant.clients["web"]
    oauth = OAuth2Session(client_id, secret, scope="openid email projects:read",
                          redirect_uri=CALLBACK, code_challenge_method="S256")
    url, _state = oauth.create_authorization_url(f"{stack.issuer}/authorize",
                                                 code_verifier="w" * 64)
    received = capture_callback(page, CALLBACK)
    page.goto(url)
    page.wait_for_selector("text=Allow access?")
    page.click("button[name=allow]")
    page.wait_for_selector("text=callback received")
    return oauth.fetch_token(f"{stack.issuer}/token", code=received["code"],
                             code_verifier="w" * 64)


def test_two_browsers_end_the_other_and_revoke_an_app(browser, live_stack):
    email = new_user(live_stack)
    laptop = browser.new_context(viewport=DESKTOP, locale="en-GB")
    other = browser.new_context(viewport=DESKTOP, locale="en-GB", user_agent=FIREFOX)
    try:
        mine, theirs = laptop.new_page(), other.new_page()
        for page in (mine, theirs):
            page.set_default_timeout(15_000)
        account(theirs, live_stack, email)
        account(mine, live_stack, email)
        tokens = allow_web_app(mine, live_stack)
        mine.goto(f"{live_stack.frontend_url}/t/live/account")
        rows = mine.locator("table.sessions tbody tr")
        assert rows.count() == 2
        this_one = rows.filter(has=mine.locator(".badge", has_text="This device"))
        assert "Chrome on Linux" in this_one.inner_text()
        firefox = rows.filter(has_text="Firefox on Windows")
        assert "127.0.0.1" in firefox.inner_text() and firefox.locator(".badge").count() == 0
        apps = mine.locator("table.applications tbody tr")
        assert apps.count() == 1 and "See your email address" in apps.inner_text()
        shot(mine, "account-sessions")

        firefox.locator("summary:has-text('End session')").click()
        firefox.locator("button:has-text('Sign this device out now')").click()
        mine.wait_for_selector("text=Session ended; that device is signed out.")
        assert mine.locator("table.sessions tbody tr").count() == 1
        theirs.goto(f"{live_stack.frontend_url}/t/live/account")
        theirs.wait_for_selector("input[name=password]")  # asked to sign in again
        assert "/t/live/login" in theirs.url

        apps = mine.locator("table.applications tbody tr")
        apps.locator("summary:has-text('Revoke')").click()
        apps.locator("button:has-text('Revoke its access now')").click()
        mine.wait_for_selector("text=You have not allowed any applications.")
        me = requests.get(f"{live_stack.issuer}/api/v1/me", timeout=10,
                          headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.status_code == 401
        shot(mine, "account-sessions-after")
    finally:
        laptop.close()
        other.close()
