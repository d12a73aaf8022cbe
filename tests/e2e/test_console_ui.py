"""The web UI as people use it (issue #14), in headless Chromium at 1366×900 and 390×844.

Every page: a screenshot per size in test-artifacts/, no serious or critical axe-core
violation, and nothing wider than a phone. Then the bugs people hit first, and the
flows an admin needs, each failing if it breaks.
"""
from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers import browser_sign_in as sign_in
from tests.helpers import check_page, overflow, shot
from tests.live import CALLBACK


def api_token(stack, email=None) -> str:
    """An access token of the live tenant's owner (or ``email``) through the password grant."""
    client_id, secret = stack.tenant.clients["admin-cli"]
    response = requests.post(f"{stack.issuer}/token", auth=(client_id, secret), timeout=10,
                             data={"grant_type": "password",
                                   "username": email or stack.tenant.owner,
                                   "password": stack.tenant.password})
    response.raise_for_status()
    return response.json()["access_token"]


def rest(stack, method, path, token=None, **kwargs):
    response = requests.request(method, f"{stack.issuer}/api/v1{path}", timeout=10,
                                headers={"Authorization": f"Bearer {token or api_token(stack)}"},
                                **kwargs)
    assert response.status_code < 400, response.text
    return response.json() if response.content else None


def new_user(stack, role="user") -> str:
    email = f"{role}-{uuid.uuid4().hex[:6]}@live.example"
    rest(stack, "POST", "/users", json={"email": email, "password": stack.tenant.password,
                                        "role": role})
    return email


def console(page, stack, email=None, path=""):
    page.goto(f"{stack.frontend_url}/t/live/console")
    sign_in(page, email or stack.tenant.owner, stack.tenant.password)
    page.wait_for_selector("text=Your role")
    if path:
        page.goto(f"{stack.frontend_url}/t/live/console{path}")


def authorize_url(stack, client="web", scope="openid email projects:read", **params) -> str:
    client_id, _ = stack.tenant.clients[client]
    session = OAuth2Session(client_id, scope=scope, redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    url, _ = session.create_authorization_url(f"{stack.issuer}/authorize",
                                              code_verifier="c" * 64, **params)
    return url


# Every page, both sizes ----------------------------------------------------------------

def _console_pages(stack) -> dict[str, str]:
    user_id = rest(stack, "GET", "/users", params={"email": "user1@live.example"})["items"][0]["id"]
    web = rest(stack, "GET", "/clients", params={"client_name": "web"})["items"][0]["id"]
    return {"dashboard": "", "users": "/users", "user": f"/users/{user_id}", "roles": "/roles",
            "clients": "/clients", "client-new": "/clients/new", "client": f"/clients/{web}",
            "apis": "/apis", "registration": "/registration", "tokens": "/tokens",
            "audit": "/audit", "settings": "/settings", "account": "/account"}


#: End-user pages around sign-in (accounts, devices), under /t/live.
END_USER_PAGES = {"signup-user": "/signup", "forgot-password": "/forgot-password",
                  "reset-link-refused": "/reset-password?token=not-a-real-link",
                  "verify-email": "/verify-email?token=not-a-real-link",
                  "device": "/device", "device-approved": "/device?result=approved"}


def end_user_pages(page, stack, is_phone) -> list[str]:
    """Each page around sign-in, with sign-up switched on for the while."""
    problems = []
    rest(stack, "PATCH", "/tenant", json={"self_signup_enabled": True})
    try:
        for name, path in END_USER_PAGES.items():
            page.goto(f"{stack.frontend_url}/t/live{path}")
            assert page.locator("h1").count() == 1, name
            problems += check_page(page, name, is_phone)
    finally:
        rest(stack, "PATCH", "/tenant", json={"self_signup_enabled": False})
    return problems


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_fits_and_passes_axe(request, live_stack, size):
    page = request.getfixturevalue("phone" if size == "phone" else "page")
    is_phone = size == "phone"
    problems = []
    page.goto(f"{live_stack.frontend_url}/")
    problems += check_page(page, "home", is_phone)
    page.goto(f"{live_stack.frontend_url}/signup")
    problems += check_page(page, "signup", is_phone)
    page.goto(f"{live_stack.issuer}/authorize?client_id=nope&response_type=code")
    problems += check_page(page, "error-unknown-client", is_phone)
    page.goto(authorize_url(live_stack))
    problems += check_page(page, "sign-in", is_phone)
    sign_in(page, "user2@live.example", live_stack.tenant.password)
    page.wait_for_selector("text=Allow access?")
    problems += check_page(page, "consent", is_phone)
    problems += end_user_pages(page, live_stack, is_phone)
    console(page, live_stack)
    for name, path in _console_pages(live_stack).items():
        page.goto(f"{live_stack.frontend_url}/t/live/console{path}")
        assert page.locator("h1").count() == 1, name
        problems += check_page(page, f"console-{name}", is_phone)
    if is_phone:  # the menu collapses behind its toggle, and opens
        assert not page.locator("nav.nav").is_visible()
        page.click("label.menu-label")
        assert page.locator("nav.nav a[aria-current=page]").inner_text() == "Account"
        shot(page, "console-menu-phone")
    assert problems == [], "\n".join(problems)


# The bugs people hit first ----------------------------------------------------------------

def test_bug1_users_page_without_roles_read(page, live_stack):
    """A custom role with users:read but not roles:read can open the Users page."""
    name = f"helpdesk-{uuid.uuid4().hex[:4]}"
    rest(live_stack, "POST", "/roles",
         json={"name": name, "permissions": ["users:read", "users:write"]})
    email = new_user(live_stack, role=name)
    console(page, live_stack, email)
    response = page.goto(f"{live_stack.frontend_url}/t/live/console/users")
    assert response.status == 200 and page.locator("h1").inner_text() == "Users"
    assert page.locator("#role option").all_inner_texts() == ["user"]


def test_bug2_reloading_never_repeats_a_post(page, live_stack):
    console(page, live_stack, path="/clients/new")
    name = f"Reload {uuid.uuid4().hex[:4]}"
    page.check("input[name=app_type][value=web]")
    page.fill("input[name=client_name]", name)
    page.fill("textarea[name=redirect_uris]", "https://reload.example/cb")
    page.click("button:has-text('Register')")
    first = page.input_value("#client-secret")
    page.reload()
    assert page.locator("#client-secret").count() == 0  # shown once, not re-rendered
    assert rest(live_stack, "GET", "/clients", params={"client_name": name})["total"] == 1
    page.click("summary:has-text('Rotate the secret')")
    page.click("button:has-text('Issue a new secret')")
    rotated = page.input_value("#client-secret")
    assert rotated != first
    page.reload()
    client_id = re.search(r"<code>([^<]+)</code>", page.content()).group(1)
    web = requests.post(f"{live_stack.issuer}/token", auth=(client_id, rotated), timeout=10,
                        data={"grant_type": "client_credentials"})
    assert web.status_code != 401  # the secret just copied still works after the reload


def test_bug3_lists_page_past_100(page, live_stack):
    email = new_user(live_stack)
    client_id, secret = live_stack.tenant.clients["legacy"]
    for _ in range(101):
        requests.post(f"{live_stack.issuer}/token", auth=(client_id, secret), timeout=10, data={
            "grant_type": "password", "username": email,
            "password": live_stack.tenant.password}).raise_for_status()
    user_id = rest(live_stack, "GET", "/users", params={"email": email})["items"][0]["id"]
    console(page, live_stack, path=f"/tokens?user_id={user_id}")
    assert "101 grants · page 1 of 5" in page.inner_text(".pager")
    page.goto(f"{live_stack.frontend_url}/t/live/console/tokens?user_id={user_id}&page=5")
    assert page.locator("tbody tr").count() == 1
    page.click("summary:has-text('Revoke all of these')")
    page.click("button:has-text('Revoke every grant of this user')")
    page.wait_for_selector("text=101 grants revoked.")
    assert rest(live_stack, "GET", "/tokens", params={"user_id": user_id})["total"] == 0


def test_bug4_a_public_client_gets_no_secret(page, live_stack):
    console(page, live_stack, path="/clients/new")
    page.check("input[name=app_type][value=spa]")
    page.fill("input[name=client_name]", f"SPA {uuid.uuid4().hex[:4]}")
    page.fill("textarea[name=redirect_uris]", "http://localhost:3000/callback")
    page.click("button:has-text('Register')")
    page.wait_for_selector("h2:has-text('Connect your application')")
    assert page.locator("#client-secret").count() == 0
    assert "none (public client, PKCE required)" in page.content()


def test_bug5_errors_sit_on_their_fields_once_and_do_not_linger(page, live_stack):
    page.goto(f"{live_stack.frontend_url}/signup")
    page.fill("input[name=name]", "Broken")
    page.fill("input[name=slug]", "Not A Slug")
    page.fill("input[name=owner_email]", "nobody")
    page.fill("input[name=owner_password]", "short")
    page.click("button[type=submit]")
    errors = page.locator(".field-error").all_inner_texts()
    assert len(errors) == 3 and not any("[" in e for e in errors)  # all at once, plain words
    shot(page, "signup-errors")
    page.goto(f"{live_stack.frontend_url}/")
    assert page.locator(".flash, .alert, .field-error").count() == 0  # nothing stale
    console(page, live_stack, path="/users")
    page.fill("#email", "user0@live.example")
    page.fill("#password", live_stack.tenant.password)
    page.click("button:has-text('Add user')")
    assert page.locator("text=already exists").count() == 1


def test_bug6_overlong_input_is_refused_and_long_words_wrap(phone, live_stack):
    console(phone, live_stack, path="/users")
    phone.fill("#email", "a" * 300 + "@live.example")
    phone.fill("#password", live_stack.tenant.password)
    phone.click("button:has-text('Add user')")
    assert "at most 64 characters" in phone.inner_text("form[method=post] .field-error")
    name = "W" * 200
    created = rest(live_stack, "POST", "/clients", json={
        "client_name": name, "grant_types": ["client_credentials"]})
    phone.goto(f"{live_stack.frontend_url}/t/live/console/clients/{created['id']}")
    assert overflow(phone) == 0
    phone.goto(f"{live_stack.frontend_url}/t/live/console/clients")
    assert overflow(phone) == 0


def test_bug7_no_admin_preselected_and_no_owner_powers_for_admins(page, live_stack):
    console(page, live_stack, new_user(live_stack, "admin"), path="/users")
    assert page.locator("#role").input_value() == "user"
    assert "owner" not in page.locator("#role option").all_inner_texts()
    owner_id = rest(live_stack, "GET", "/users",
                    params={"email": live_stack.tenant.owner})["items"][0]["id"]
    page.goto(f"{live_stack.frontend_url}/t/live/console/users/{owner_id}")
    assert page.locator("text=Only owners can change owners.").count() == 1
    assert page.locator("button:has-text('Deactivate'), summary:has-text('Delete')").count() == 0


def test_bug8_bad_audit_filters_stay_on_the_page(page, live_stack):
    console(page, live_stack)
    response = page.goto(f"{live_stack.frontend_url}/t/live/console/audit?since=garbage")
    assert response.status == 400
    assert page.locator("form.filters .alert").count() == 1
    assert page.locator("h1").inner_text() == "Audit log"


def test_bug9_authorize_errors_are_a_page_for_people(page, live_stack):
    client_id, _ = live_stack.tenant.clients["web"]
    response = page.goto(f"{live_stack.issuer}/authorize?" + urlencode({
        "client_id": client_id, "response_type": "code", "scope": "openid",
        "redirect_uri": "https://evil.example/cb", "code_challenge": "c" * 43,
        "code_challenge_method": "S256"}))
    assert response.status == 400 and "text/html" in response.headers["content-type"]
    assert page.locator("h1").inner_text() == "This sign-in link is not valid"
    page.goto(f"{live_stack.issuer}/authorize?client_id=nope&response_type=code")
    assert page.locator("h1").inner_text() == "This application is not registered"
    assert "{" not in page.inner_text("main")


def test_bug10_password_change_asks_for_the_current_one(page, live_stack):
    email = new_user(live_stack)
    console(page, live_stack, email, path="/account")
    form = "form[action$='/account/password']"  # the email form has a current password too
    page.fill(f"{form} input[name=current_password]", "not my password at all")
    page.fill(f"{form} input[name=password]", "a brand new passphrase")
    page.fill(f"{form} input[name=confirm]", "a brand new passphrase")
    page.click("button:has-text('Change password')")
    assert page.locator("text=is not your current password").count() == 1
    page.fill(f"{form} input[name=current_password]", live_stack.tenant.password)
    page.fill(f"{form} input[name=password]", "a brand new passphrase")
    page.fill(f"{form} input[name=confirm]", "another passphrase")
    page.click("button:has-text('Change password')")
    assert page.locator("text=The two new passwords differ.").count() == 1


# Flows ---------------------------------------------------------------------------------

def test_sign_up_lands_signed_in_on_a_dashboard_that_says_what_next(page, live_stack):
    slug = f"first-{uuid.uuid4().hex[:6]}"
    page.goto(f"{live_stack.frontend_url}/signup")
    page.fill("input[name=name]", "First Run")
    page.fill("input[name=slug]", slug)
    page.fill("input[name=owner_email]", "founder@first.example")
    page.fill("input[name=owner_password]", live_stack.tenant.password)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Get started")
    assert page.url.endswith(f"/t/{slug}/console")
    shot(page, "first-run-dashboard")
    page.goto(f"{live_stack.frontend_url}/t/{slug}/console/audit?action=client.created")
    assert "founder@first.example" in page.inner_text("tbody")  # not "cli"


def test_console_sign_in_lists_no_scopes(page, live_stack):
    page.goto(f"{live_stack.frontend_url}/t/live/console")
    assert page.locator("ul.scopes").count() == 0
    assert "Sign in to manage Live." in page.inner_text("main")


def test_branding_and_client_details_on_sign_in_and_consent(page, live_stack):
    rest(live_stack, "PATCH", "/tenant", json={"branding": {
        "display_name": "Live Shop", "primary_color": "#aa3300"}})
    changed = time.monotonic()
    web = rest(live_stack, "GET", "/clients", params={"client_name": "web"})["items"][0]
    rest(live_stack, "PATCH", f"/clients/{web['id']}", json={
        "client_uri": "https://web.example", "policy_uri": "https://web.example/privacy",
        "tos_uri": "https://web.example/terms"})
    try:
        page.goto(authorize_url(live_stack))

        def branded():
            return page.locator(".brand").inner_text(), page.evaluate(
                "() => getComputedStyle(document.documentElement)"
                ".getPropertyValue('--accent').trim()")

        for _ in range(30):  # each API process sees the change within TENANT_CACHE_SECONDS
            if branded() == ("Live Shop", "#aa3300"):
                break
            page.wait_for_timeout(250)
            page.reload()
        assert branded() == ("Live Shop", "#aa3300")
        sign_in(page, "user0@live.example", live_stack.tenant.password)
        page.wait_for_selector("text=Allow access?")
        assert page.get_attribute("a:has-text('Privacy policy')", "href") == \
            "https://web.example/privacy"
        assert "sent back to 127.0.0.1" in page.inner_text("main")
        shot(page, "consent-branded")
        email = new_user(live_stack)  # the account pages and their mails wear it too
        time.sleep(max(0.0, changed + 5.5 - time.monotonic()))  # every API process sees it
        page.goto(f"{live_stack.frontend_url}/t/live/forgot-password")
        assert page.locator(".brand").inner_text() == "Live Shop"
        assert page.locator("link[href*='brand.css?v=aa3300']").count() == 1
        page.fill("input[name=email]", email)
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Check your inbox')")
        mail = live_stack.tenant.mailbox.wait_for(email)
        assert mail["Subject"] == "Reset your Live Shop password"
        assert mail["From"].startswith("Live Shop")
        html = next(part for part in mail.walk() if part.get_content_type() == "text/html")
        assert "background:#aa3300;color:#ffffff" in html.get_content()
    finally:
        rest(live_stack, "PATCH", "/tenant", json={"branding": {
            "display_name": None, "primary_color": None}})


def test_user_page_signs_out_everywhere(page, live_stack):
    email = new_user(live_stack)
    token = api_token(live_stack, email)
    user_id = rest(live_stack, "GET", "/users", params={"email": email})["items"][0]["id"]
    console(page, live_stack, path=f"/users/{user_id}")
    assert page.locator("h2:has-text('Sessions & tokens') + table tbody tr").count() == 1
    page.click("summary:has-text('Sign out everywhere')")
    page.click("button:has-text('End every session')")
    page.wait_for_selector("text=Signed out everywhere")
    me = requests.get(f"{live_stack.issuer}/api/v1/me", timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert "Signed out everywhere" in page.inner_text("h2:has-text('Recent events') + table")


def test_audit_filters_by_action_and_target_and_exports_csv(page, live_stack):
    email = new_user(live_stack)
    console(page, live_stack, path="/audit")
    page.fill("input[name=target]", email)
    page.select_option("select[name=action]", "user.created")
    page.click("button:has-text('Filter')")
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "User created" in rows.inner_text()
    assert f"user: {email}" in rows.inner_text()
    rows.locator("summary").click()
    assert "Request ID" in rows.inner_text()
    with page.expect_download() as download:
        page.click("text=Download these events as CSV")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("created_at,action") and len(lines) == 2 and email in lines[1]
