"""Passkeys in a real browser: headless Chromium with its virtual authenticator (DevTools
protocol ``WebAuthn``, through Playwright's CDP session) against the API and frontend under
uWSGI on a database of their own.

A user adds a passkey on the account page (and gets recovery codes), signs in with it
alone from the login page (discoverable credential, user verified), and then answers the
second step after their password with it. The frontend is called ``localhost``: WebAuthn
takes no IP address as RP ID, and localhost is a secure context over http. Screenshots of
each page land in test-artifacts/, and axe-core finds nothing serious on them.
"""
import pytest
import requests

from tests.helpers import browser_sign_in, check_page

USER = "user1@live.example"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tests.conftest import stack_on_fresh_database
    with stack_on_fresh_database(tmp_path_factory, frontend_host="localhost",
                                 TENANT_CACHE_SECONDS="0") as stack:
        yield stack


@pytest.fixture(scope="module")
def owner_api(stack):
    client_id, secret = stack.tenant.clients["admin-cli"]
    token = requests.post(f"{stack.issuer}/token", auth=(client_id, secret), timeout=10,
                          data={"grant_type": "password", "username": stack.tenant.owner,
                                "password": stack.tenant.password}).json()["access_token"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


@pytest.fixture
def authenticator(page):
    """Chromium's virtual platform authenticator: CTAP2, resident keys, user verification
    that succeeds (a fingerprint always recognised)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    yield cdp, added["authenticatorId"]
    cdp.send("WebAuthn.disable")


def credentials(authenticator) -> list[dict]:
    cdp, authenticator_id = authenticator
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def audit(stack, owner_api, action: str) -> list[dict]:
    return owner_api.get(f"{stack.issuer}/api/v1/audit-events", timeout=10,
                         params={"action": action}).json()["items"]


def test_add_a_passkey_sign_in_with_it_alone_and_as_second_step(page, stack, owner_api,
                                                                authenticator):
    assert owner_api.patch(f"{stack.issuer}/api/v1/tenant", json={"passkey_sign_in": True},
                           timeout=10).status_code == 200
    console = f"{stack.frontend_url}/t/live/console"

    # Add a passkey on the account page.
    page.goto(console)
    browser_sign_in(page, USER, stack.tenant.password)
    page.wait_for_selector("text=Your role")
    page.goto(f"{stack.frontend_url}/t/live/account")
    page.fill("#passkey-name", "Work laptop")
    page.click("button:has-text('Add a passkey')")
    page.wait_for_selector("text=Passkey added")
    assert page.locator("#recovery-codes li").count() == 10  # the first factor's codes
    assert page.input_value("input[name=name][id^=passkey-name-]") == "Work laptop"
    [credential] = credentials(authenticator)
    assert credential["isResidentCredential"] and credential["rpId"] == "localhost"
    problems = check_page(page, "passkeys-account", phone=False)
    page.reload()
    assert page.locator("#recovery-codes").count() == 0  # shown once
    page.fill("#passkey-name", "Again")  # the same authenticator: excluded
    page.click("button:has-text('Add a passkey')")
    page.wait_for_selector("text=holds one of your passkeys already")
    assert len(credentials(authenticator)) == 1
    assert audit(stack, owner_api, "passkey.registered")[0]["details"]["method"] == "hwk"

    # Sign in with the passkey alone: no address, no password.
    page.context.clear_cookies()
    page.goto(console)
    page.wait_for_selector("#passkey-sign-in")
    problems += check_page(page, "passkeys-login", phone=False)
    page.click("#passkey-sign-in")
    page.wait_for_selector("text=Your role")
    assert USER in page.inner_text(".signout")
    [used] = audit(stack, owner_api, "sign_in.succeeded")[:1]
    assert used["details"] == {"method": "passkey"} and used["actor"] == USER

    # The password is now followed by a second step, which the passkey answers.
    page.context.clear_cookies()
    page.goto(console)
    browser_sign_in(page, USER, stack.tenant.password)
    page.wait_for_selector("button:has-text('Use a passkey')")
    problems += check_page(page, "passkeys-second-step", phone=False)
    page.click("button:has-text('Use a passkey')")
    page.wait_for_selector("text=Your role")
    second = audit(stack, owner_api, "second_factor.succeeded")[0]
    assert second["details"] == {"factor": "passkey"} and second["actor"] == USER
    assert problems == []  # axe-core: nothing serious or critical on the three pages
