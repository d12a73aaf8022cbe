"""End-user accounts in a real browser: Chromium against the API and frontend under uWSGI,
mailing through SMTP to a real server on loopback (aiosmtpd), on the suite's database.

Sign-up, verification, password reset, email change, bad links, enumeration, throttling,
weak passwords and an SMTP outage, each seen the way a person sees it; screenshots of the
new pages land in test-artifacts/.
"""
import statistics
import time
import uuid

import pytest
import requests
import sqlalchemy as sa
from authlib.integrations.requests_client import OAuth2Session

from tests import helpers
from tests.helpers import capture_callback, shot
from tests.live import CALLBACK
from tests.mailcatcher import link_in, text_of

STRONG = "velvet thunder over granite"


@pytest.fixture(scope="module")
def owner_api(mail_stack):
    """The owner's token (admin-cli's password grant), self-service sign-up switched on."""
    session = helpers.owner_api(mail_stack.tenant, mail_stack.issuer)
    assert session.patch(f"{mail_stack.issuer}/api/v1/tenant", timeout=10,
                         json={"self_signup_enabled": True}).status_code == 200
    return session


def authorization_url(mail_stack, scope="openid email profile:read"):
    client_id, secret = mail_stack.tenant.clients["web"]
    session = OAuth2Session(client_id, secret, scope=scope, redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    url, state = session.create_authorization_url(f"{mail_stack.issuer}/authorize",
                                                  code_verifier="v" * 64)
    return session, url, state


def new_email() -> str:
    return f"u{uuid.uuid4().hex[:8]}@live.example"


def password_grant(mail_stack, email, password):
    client_id, secret = mail_stack.tenant.clients["legacy"]
    return requests.post(f"{mail_stack.issuer}/token", auth=(client_id, secret), timeout=10,
                         data={"grant_type": "password", "username": email,
                               "password": password})


def create_user(mail_stack, owner_api, email):
    assert owner_api.post(f"{mail_stack.issuer}/api/v1/users", timeout=10, json={
        "email": email, "password": mail_stack.tenant.password}).status_code == 201


def test_sign_up_verify_sign_in_consent_and_code(page, mail_stack, owner_api):
    """With verified addresses required: sign-up → mail → verify link → sign in → consent → code."""
    api = f"{mail_stack.issuer}/api/v1"
    owner_api.post(f"{api}/me/email-verification", timeout=10)  # the owner verifies first
    page.goto(link_in(mail_stack.mailbox.wait_for(mail_stack.tenant.owner)))
    page.click("text=Confirm my address")
    page.wait_for_selector("text=is verified")
    assert owner_api.patch(f"{api}/tenant", json={"require_verified_email": True},
                           timeout=10).status_code == 200
    try:
        session, url, state = authorization_url(mail_stack)
        received = capture_callback(page, CALLBACK)
        page.goto(url)
        page.click("text=Create an account")
        page.wait_for_selector("h1:has-text('Create your account')")
        assert "Live" in page.inner_text(".brand")
        email = new_email()
        page.fill("input[name=name]", "Robin Example")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "password1234")
        page.click("button[type=submit]")
        page.wait_for_selector("text=one of the most common passwords")
        shot(page, "signup-weak-password")
        page.fill("input[name=password]", STRONG)
        shot(page, "signup")
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('Your account is ready')")
        shot(page, "signup-check-inbox")
        login_page = page.locator("text=Back to sign-in").get_attribute("href")
        mail = mail_stack.mailbox.wait_for(email)
        assert mail["Subject"] == "Verify your email address for Live"
        page.goto(link_in(mail))
        shot(page, "verify-email")
        page.click("text=Confirm my address")
        page.wait_for_selector(f"text={email} is verified.")
        shot(page, "email-verified")
        page.goto(mail_stack.frontend_url + login_page)
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", STRONG)
        page.click("button[type=submit]")
        page.wait_for_selector("text=Allow access?")
        page.click("button[name=allow]")
        page.wait_for_function("() => document.body.innerText.includes('callback received')")
        assert received["state"] == state
        token = session.fetch_token(
            f"{mail_stack.issuer}/token", code_verifier="v" * 64, state=state,
            authorization_response=f"{CALLBACK}?code={received['code']}&state={state}"
                                   f"&iss={received['iss']}")
        info = requests.get(f"{mail_stack.issuer}/userinfo", timeout=10, headers={
            "Authorization": f"Bearer {token['access_token']}"}).json()
        assert info["email"] == email and info["email_verified"] is True
    finally:
        owner_api.patch(f"{api}/tenant", json={"require_verified_email": False}, timeout=10)


def test_forgot_password_reset_and_the_old_refresh_token_is_dead(page, mail_stack, owner_api):
    email = new_email()
    create_user(mail_stack, owner_api, email)
    client_id, secret = mail_stack.tenant.clients["legacy"]
    old = password_grant(mail_stack, email, mail_stack.tenant.password)
    assert old.status_code == 200, old.text
    old = old.json()
    _, url, _ = authorization_url(mail_stack)
    page.goto(url)
    page.click("text=Forgot password?")
    page.wait_for_selector("h1:has-text('Forgot your password?')")
    shot(page, "forgot-password")
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Check your inbox')")
    shot(page, "forgot-password-sent")
    page.goto(link_in(mail_stack.mailbox.wait_for(email)))
    page.wait_for_selector(f"text=For {email}")
    page.fill("input[name=password]", "qwertyuiopasdf")
    page.fill("input[name=confirm]", "qwertyuiopasdf")
    page.click("button[type=submit]")
    page.wait_for_selector("text=too easy to guess")
    shot(page, "reset-password-weak")
    page.fill("input[name=password]", STRONG)
    page.fill("input[name=confirm]", STRONG)
    shot(page, "reset-password")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Your password is changed')")
    shot(page, "reset-password-done")
    refreshed = requests.post(f"{mail_stack.issuer}/token", auth=(client_id, secret),
                              timeout=10, data={"grant_type": "refresh_token",
                                                "refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert password_grant(mail_stack, email, STRONG).status_code == 200
    assert "was just changed" in text_of(mail_stack.mailbox.wait_for(email, count=2))


def test_email_change_from_the_account_page(page, mail_stack, owner_api):
    old, new = new_email(), new_email()
    create_user(mail_stack, owner_api, old)
    page.goto(f"{mail_stack.frontend_url}/t/live/account")
    page.fill("input[name=email]", old)
    page.fill("input[name=password]", mail_stack.tenant.password)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Your account')")
    page.fill("input[name=given_name]", "Sam")
    page.click("text=Save profile")
    page.wait_for_selector("text=Profile saved.")
    page.fill("form[action$='/account/email'] input[name=email]", new)
    page.fill("form[action$='/account/email'] input[name=current_password]",
              mail_stack.tenant.password)
    page.click("form[action$='/account/email'] button")
    page.wait_for_selector(f"text=We sent a link to {new}")
    shot(page, "account")
    page.goto(link_in(mail_stack.mailbox.wait_for(new)))
    page.click("text=Confirm my address")
    page.wait_for_selector(f"text=Your email address is now {new}")
    assert new in text_of(mail_stack.mailbox.wait_for(old))
    assert password_grant(mail_stack, new, mail_stack.tenant.password).status_code == 200
    assert password_grant(mail_stack, old, mail_stack.tenant.password).status_code == 400


def test_replayed_tampered_and_foreign_links_are_a_clear_page(page, mail_stack, owner_api):
    email = new_email()
    create_user(mail_stack, owner_api, email)
    assert requests.post(f"{mail_stack.api_url}/api/v1/tenants", timeout=20, json={
        "slug": "other", "name": "Other", "owner_email": "boss@other.example",
        "owner_password": STRONG}).status_code == 201
    requests.post(f"{mail_stack.issuer}/sign-in/password-reset", timeout=10,
                  json={"email": email}, headers={"X-Frontend-Key": mail_stack.tenant.frontend_key})
    link = link_in(mail_stack.mailbox.wait_for(email))
    token = link.split("token=")[1]
    for url, status in ((f"{mail_stack.frontend_url}/t/other/reset-password?token={token}", 404),
                        (link[:-3] + "xyz", 404)):
        response = page.goto(url)
        assert response.status == status
        assert page.locator("h1").inner_text() == "This link does not work"
    shot(page, "link-invalid")
    assert password_grant(mail_stack, email, mail_stack.tenant.password).status_code == 200
    page.goto(link)
    page.fill("input[name=password]", STRONG)
    page.fill("input[name=confirm]", STRONG)
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Your password is changed')")
    response = page.goto(link)
    assert response.status == 410 and "already used" in page.content()
    shot(page, "link-used")


def forgot_password_form(mail_stack, email: str) -> tuple[int, str, float]:
    """Submit the frontend's form as a browser would: status, visible answer, seconds."""
    browser = requests.Session()
    form = browser.get(f"{mail_stack.frontend_url}/t/live/forgot-password", timeout=10).text
    csrf = form.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    started = time.perf_counter()
    answer = browser.post(f"{mail_stack.frontend_url}/t/live/forgot-password", timeout=10,
                          data={"csrf_token": csrf, "email": email})
    elapsed = time.perf_counter() - started
    return answer.status_code, answer.text.split("<main")[1], elapsed


def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_time(mail_stack,
                                                                          owner_api):
    known = new_email()
    create_user(mail_stack, owner_api, known)
    timings = {"known": [], "unknown": []}
    answers = set()
    for _ in range(4):
        for kind, email in (("known", known), ("unknown", new_email())):
            status, body, elapsed = forgot_password_form(mail_stack, email)
            answers.add((status, body.replace(email, "EMAIL")))
            timings[kind].append(elapsed)
    assert len(answers) == 1 and next(iter(answers))[0] == 202
    gap = abs(statistics.median(timings["known"]) - statistics.median(timings["unknown"]))
    assert gap < 0.1, timings  # the mail leaves after the response, not before


def test_forgot_password_is_throttled_per_address(page, mail_stack):
    email = new_email()
    statuses = [forgot_password_form(mail_stack, email)[0] for _ in range(6)]
    assert statuses == [202] * 5 + [429]
    page.goto(f"{mail_stack.frontend_url}/t/live/forgot-password")
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Too many requests")


def outbox_row(mail_stack, email: str, ready, timeout: float = 10):
    """The outbox row of the mail to ``email`` once ``ready(row)``, read from the database."""
    engine = sa.create_engine(mail_stack.database.url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                if connection.dialect.name == "postgresql":  # row-level security: the tenant
                    connection.execute(sa.text(
                        "SELECT set_config('app.tenant_id', id::text, false) FROM tenants "
                        "WHERE slug = 'live'"))
                row = connection.execute(sa.text(
                    "SELECT status, attempts, last_error FROM outbox_messages "
                    "WHERE CAST(summary AS TEXT) LIKE :to"), {"to": f'%"{email}"%'}).one()
            if ready(row) or time.monotonic() > deadline:
                return row
            time.sleep(0.2)
    finally:
        engine.dispose()


def test_smtp_down_the_request_succeeds_and_the_mail_goes_out_later(mail_stack, owner_api):
    email = new_email()
    create_user(mail_stack, owner_api, email)
    mail_stack.mailbox.stop()
    try:
        assert forgot_password_form(mail_stack, email)[0] == 202
        waiting = outbox_row(mail_stack, email, lambda row: row.last_error is not None)
        assert waiting.status == "pending" and waiting.attempts >= 1
    finally:
        mail_stack.mailbox.start()
    mail = mail_stack.mailbox.wait_for(email, timeout=30)  # the mule's first retry
    assert "reset-password?token=" in text_of(mail)
