"""``max_age`` in a real browser against the apps under uWSGI: a sign-in older than the client
allows shows the sign-in page again, and the ID tokens (verified with the JWKS) say when and
how the user signed in."""
import time

from authlib.integrations.requests_client import OAuth2Session

from api.oauth import acr
from tests.helpers import browser_sign_in, capture_callback, shot, verify_jwt
from tests.live import CALLBACK


def _signed_in_id_token(page, live_stack, session, received, **params) -> dict:
    """Authorize in ``page`` with ``params``, sign in on the sign-in page, allow; the
    verified claims of the ID token the code gets."""
    live = live_stack.tenant
    verifier = "m" * 64
    url, state = session.create_authorization_url(f"{live_stack.issuer}/authorize",
                                                  code_verifier=verifier, **params)
    received.clear()
    page.goto(url)
    assert page.locator("h1").inner_text() == "Sign in"
    if params:
        shot(page, "sign-in-max-age")
    browser_sign_in(page, "user0@live.example", live.password)
    page.wait_for_selector("text=Allow access?")
    page.click("button[name=allow]")
    page.wait_for_function("() => document.body.innerText.includes('callback received')")
    assert received["state"] == state
    token = session.fetch_token(f"{live_stack.issuer}/token", code=received["code"],
                                code_verifier=verifier)
    return verify_jwt(live_stack, token["id_token"], session.client_id, typ="JWT")


def test_max_age_shows_the_sign_in_page_again(page, live_stack):
    client_id, secret = live_stack.tenant.clients["web"]
    session = OAuth2Session(client_id, secret, scope="openid", redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    received = capture_callback(page, CALLBACK)
    first = _signed_in_id_token(page, live_stack, session, received)
    assert first["amr"] == ["pwd"] and first["acr"] == acr.PWD
    time.sleep(2.1)  # the sign-in is now older than a max_age of one second
    again = _signed_in_id_token(page, live_stack, session, received, max_age="1")
    assert again["auth_time"] >= first["auth_time"] + 2
    assert again["sid"] == first["sid"]  # the same session, signed in anew
