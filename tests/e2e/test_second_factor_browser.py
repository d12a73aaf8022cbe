"""Second factors in a real browser: Chromium against the API and frontend under uWSGI on a
database of their own, mailing to a real SMTP server on loopback.

An authenticator app (the test computes its codes with pyotp) is added on the account page,
then asked for at sign-in; a replayed code is refused; a recovery code works once and is
mailed; "required for owners and admins" makes an admin set one up right after the password,
before the console lets them in. The ID tokens are verified with the JWKS. Screenshots of
each new page land in test-artifacts/.
"""
import time
import uuid

import pyotp
import pytest
from authlib.integrations.requests_client import OAuth2Session

from tests import helpers
from tests.helpers import browser_sign_in, capture_callback, check_page, verify_jwt
from tests.live import CALLBACK
from tests.mailcatcher import text_of


@pytest.fixture(scope="module")
def owner_api(mail_stack):
    """The owner's token, taken while the policy still lets the password grant have it."""
    return helpers.owner_api(mail_stack.tenant, mail_stack.issuer)


def new_user(mail_stack, owner_api, role="user") -> str:
    email = f"{role}-{uuid.uuid4().hex[:6]}@live.example"
    assert owner_api.post(f"{mail_stack.issuer}/api/v1/users", timeout=10, json={
        "email": email, "password": mail_stack.tenant.password, "role": role}
    ).status_code == 201
    return email


def console(page, mail_stack, email):
    page.goto(f"{mail_stack.frontend_url}/t/live/console")
    browser_sign_in(page, email, mail_stack.tenant.password)


def code(secret: str, steps: int = 0) -> str:
    """The authenticator app's code now, or ``steps`` time steps away."""
    totp = pyotp.TOTP(secret)
    return totp.at(time.time() + totp.interval * steps)


class WebApp:
    """The live tenant's web client signing ``email`` in through the browser ``page``."""

    def __init__(self, page, mail_stack, email):
        client_id, secret = mail_stack.tenant.clients["web"]
        self.page, self.stack, self.email = page, mail_stack, email
        self.session = OAuth2Session(client_id, secret, scope="openid", redirect_uri=CALLBACK,
                                     code_challenge_method="S256")
        self.received = capture_callback(page, CALLBACK)

    def to_second_step(self):
        """A fresh browser session: authorize, the password, and the second-step page."""
        self.page.context.clear_cookies()
        self.url, _ = self.session.create_authorization_url(
            f"{self.stack.issuer}/authorize", code_verifier="s" * 64)
        self.page.goto(self.url)
        browser_sign_in(self.page, self.email, self.stack.tenant.password)
        self.page.wait_for_selector("h1:has-text('Second step')")

    def id_token(self) -> dict:
        """Allow, then the verified claims of the ID token the client's code gets."""
        self.page.wait_for_selector("text=Allow access?")
        self.page.click("button[name=allow]")
        self.page.wait_for_function(
            "() => document.body.innerText.includes('callback received')")
        token = self.session.fetch_token(f"{self.stack.issuer}/token",
                                         code=self.received["code"], code_verifier="s" * 64)
        return verify_jwt(self.stack, token["id_token"], self.session.client_id, typ="JWT")


def test_authenticator_app_enrolment_sign_in_replay_and_recovery_codes(page, mail_stack,
                                                                       owner_api):
    email, problems = new_user(mail_stack, owner_api), []
    console(page, mail_stack, email)
    page.wait_for_selector("text=Your role")
    page.goto(f"{mail_stack.frontend_url}/t/live/account")
    problems += check_page(page, "account-second-factor", phone=False)
    page.click("text=Add an authenticator app")
    page.wait_for_selector("h1:has-text('Add an authenticator app')")
    assert page.locator("img.qr").get_attribute("src").startswith("data:image/svg+xml")
    problems += check_page(page, "account-totp-enrolment", phone=False)
    secret = page.inner_text("#totp-secret")
    page.fill("input[name=code]", "000000")
    page.click("button:has-text('Turn on')")
    page.wait_for_selector(".field-error:has-text('is not valid')")
    enrolled = code(secret)
    page.fill("input[name=code]", enrolled)
    page.click("button:has-text('Turn on')")
    page.wait_for_selector("#recovery-codes")
    recovery = page.locator("#recovery-codes code").all_inner_texts()
    assert len(recovery) == 10
    assert "Authenticator app" in page.inner_text("#factors ~ dl")
    problems += check_page(page, "account-recovery-codes", phone=False)
    page.reload()
    assert page.locator("#recovery-codes").count() == 0  # shown once

    app = WebApp(page, mail_stack, email)
    app.to_second_step()
    problems += check_page(page, "signin-second-factor", phone=False)
    page.fill("input[name=code]", enrolled)  # the enrolment's code, replayed
    page.click("button:has-text('Continue')")
    page.wait_for_selector("text=That code is not valid")
    problems += check_page(page, "signin-second-factor-refused", phone=False)
    page.fill("input[name=code]", code(secret, 1))
    page.click("button:has-text('Continue')")
    claims = app.id_token()
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == "urn:tessera:acr:mfa"

    for attempt in ("used", "refused"):
        app.to_second_step()
        page.click("text=Use a recovery code instead")
        page.fill("input[name=recovery_code]", recovery[0])
        page.click("button:has-text('Use recovery code')")
        if attempt == "used":
            assert app.id_token()["amr"] == ["pwd", "otp", "mfa"]
        else:
            page.wait_for_selector("text=That code is not valid")
    message = mail_stack.mailbox.wait_for(email)
    assert message["Subject"] == "A recovery code was used to sign in to Live"
    assert "you have 9 left" in text_of(message)

    user_id = owner_api.get(f"{mail_stack.issuer}/api/v1/users", params={"email": email},
                            timeout=10).json()["items"][0]["id"]
    page.context.clear_cookies()
    console(page, mail_stack, mail_stack.tenant.owner)
    page.wait_for_selector("text=Your role")
    page.goto(f"{mail_stack.frontend_url}/t/live/console/users/{user_id}")
    page.click("summary:has-text('Reset second factors')")
    problems += check_page(page, "console-user-reset-factors", phone=False)
    page.click("button:has-text('Remove the authenticator app')")
    page.wait_for_selector("text=Second factors removed")
    assert mail_stack.mailbox.wait_for(email, 2)["Subject"] == \
        "Your Live second factors were removed"
    assert problems == [], "\n".join(problems)  # axe-core, on each new page


def test_required_for_admins_makes_an_admin_enrol_before_the_console(
        page, mail_stack, owner_api):
    email, problems = new_user(mail_stack, owner_api, "admin"), []
    try:
        console(page, mail_stack, mail_stack.tenant.owner)
        page.wait_for_selector("text=Your role")
        page.goto(f"{mail_stack.frontend_url}/t/live/console/settings")
        page.select_option("select[name=mfa_policy]", "required_for_admins")
        problems += check_page(page, "console-settings-mfa", phone=False)
        page.click("button:has-text('Save settings')")
        page.wait_for_selector("text=Settings saved.")

        page.context.clear_cookies()
        console(page, mail_stack, email)
        page.wait_for_selector("h1:has-text('Set up a second factor')")
        assert "Your role" not in page.content()
        problems += check_page(page, "signin-enrol", phone=False)
        secret = page.inner_text("#totp-secret")
        page.fill("input[name=code]", code(secret))
        page.click("button:has-text('Turn on')")
        page.wait_for_selector("#recovery-codes")
        assert page.locator("#recovery-codes code").count() == 10
        problems += check_page(page, "signin-recovery-codes", phone=False)
        page.click("text=I have saved them, continue")
        page.wait_for_selector("text=Your role")
        assert problems == [], "\n".join(problems)
    finally:
        owner_api.patch(f"{mail_stack.issuer}/api/v1/tenant", timeout=10,
                        json={"mfa_policy": "optional"})
