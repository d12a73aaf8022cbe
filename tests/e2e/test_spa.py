"""A single-page app built on oidc-client-ts (npm, pinned in package-lock.json), served from
a loopback origin, in headless Chromium against the API and frontend under uWSGI: it signs
in through the real sign-in pages, calls the tenant REST API (CORS), and signs out with
RP-Initiated Logout; an unregistered origin is blocked, and a sign-out without a hint asks
first."""
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.helpers import owner_api, pkce_pair
from tests.live import static_site
from tests.services import require

HERE = Path(__file__).resolve().parent
OIDC_CLIENT_TS = HERE / "node_modules" / "oidc-client-ts" / "dist" / "browser" / \
    "oidc-client-ts.js"


@pytest.fixture(scope="module")
def spa(live_stack, tmp_path_factory):
    """The app served from two origins: one its public client registered, one it did not."""
    require(OIDC_CLIENT_TS.exists(), "oidc-client-ts (npm ci in tests/e2e)")
    folder = tmp_path_factory.mktemp("spa")
    for name in ("index.html", "callback.html", "app.js"):
        shutil.copy(HERE / "spa" / name, folder / name)
    shutil.copy(OIDC_CLIENT_TS, folder / "oidc-client-ts.js")
    with static_site(folder) as allowed, static_site(folder) as other:
        registered = owner_api(live_stack.tenant, live_stack.issuer).post(
            f"{live_stack.issuer}/api/v1/clients", timeout=10,
            json={"client_name": "Single-page app", "token_endpoint_auth_method": "none",
                  "grant_types": ["authorization_code", "refresh_token"],
                  "scope": "openid projects:read",
                  "redirect_uris": [f"{allowed}/callback.html"],
                  "post_logout_redirect_uris": [f"{allowed}/index.html"]})
        assert registered.status_code == 201, registered.text
        client_id = registered.json()["client_id"]
        (folder / "config.js").write_text("window.SPA_SETTINGS = " + json.dumps(
            {"authority": live_stack.issuer, "client_id": client_id}) + ";\n")
        yield {"allowed": allowed, "other": other, "client_id": client_id}


def wait_title(page, *titles) -> str:
    page.wait_for_function("titles => titles.includes(document.title) || "
                           "document.title.startsWith('error')", arg=list(titles))
    return page.title()


def sign_in(page, spa, live_stack, email):
    page.goto(f"{spa['allowed']}/index.html")
    page.evaluate("() => { spa.mgr.signinRedirect(); }")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", live_stack.tenant.password)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Allow access?")
    page.click("button[name=allow]")
    assert wait_title(page, "signed-in") == "signed-in"
    return page.evaluate("spa.mgr.getUser().then(user => user.access_token)")


def api_session(page, spa, live_stack) -> str:
    """Whether this browser is signed in at the API: ``prompt=none`` answers
    ``consent_required`` when it is, ``login_required`` when it is not."""
    query = urlencode({"response_type": "code", "client_id": spa["client_id"],
                       "redirect_uri": f"{spa['allowed']}/callback.html", "scope": "openid",
                       "state": "probe", "prompt": "none", "code_challenge": pkce_pair()[1],
                       "code_challenge_method": "S256"})
    probe = page.context.new_page()
    probe.goto(f"{live_stack.issuer}/authorize?{query}")
    answer = parse_qs(urlsplit(probe.url).query).get("error", ["none"])[0]
    probe.close()
    return answer


def test_a_single_page_app_signs_in_and_calls_the_api_from_its_own_origin(page, spa,
                                                                          live_stack):
    token = sign_in(page, spa, live_stack, "user1@live.example")
    me = page.evaluate("token => spa.callApi('/me', token)", token)
    assert me["status"] == 200, me
    assert me["body"]["type"] == "user" and me["body"]["user"]["email"] == "user1@live.example"
    refused = page.evaluate("spa.callApi('/me', 'not-a-token')")
    assert refused["status"] == 401 and refused["challenge"].startswith("Bearer")
    elsewhere = page.context.new_page()
    elsewhere.goto(f"{spa['other']}/index.html")
    blocked = elsewhere.evaluate("token => spa.callApi('/me', token)", token)
    assert "blocked" in blocked, blocked  # the browser refuses: no CORS for that origin
    assert requests.get(f"{live_stack.issuer}/api/v1/me", timeout=5, headers={
        "Authorization": f"Bearer {token}"}).status_code == 200  # the token itself is good


def test_rp_initiated_logout_with_its_id_token_returns_to_the_app(page, spa, live_stack):
    token = sign_in(page, spa, live_stack, "user2@live.example")
    assert api_session(page, spa, live_stack) == "consent_required"  # signed in
    page.evaluate("() => { spa.mgr.signoutRedirect({state: 'bye'}); }")
    assert wait_title(page, "signed-out") == "signed-out"
    assert page.url.startswith(f"{spa['allowed']}/index.html?state=")
    assert api_session(page, spa, live_stack) == "login_required"
    assert page.evaluate("token => spa.callApi('/me', token)", token)["status"] == 401


def test_logout_without_a_hint_asks_first(page, spa, live_stack):
    sign_in(page, spa, live_stack, "user3@live.example")
    cross_site = page.context.new_page()
    cross_site.goto(f"{spa['other']}/index.html")
    cross_site.evaluate("url => new Promise(done => { const img = new Image(); "
                        "img.onload = img.onerror = done; img.src = url; })",
                        f"{live_stack.issuer}/logout")
    page.goto(f"{live_stack.issuer}/logout")
    page.wait_for_selector("h1:has-text('Sign out?')")
    assert "user3@live.example" in page.content()
    assert api_session(page, spa, live_stack) == "consent_required"  # nobody signed out yet
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('You are signed out')")
    assert api_session(page, spa, live_stack) == "login_required"
