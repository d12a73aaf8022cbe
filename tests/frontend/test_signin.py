"""Sign-in and consent pages against the live API (the frontend talks to it over HTTP)."""
import re
from urllib.parse import urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from frontend.app import create_app
from tests.helpers import csrf_token, start_flow
from tests.live import CALLBACK, XSS_NAME


def submit_login(frontend, challenge, email="user1@live.example", password=None, live=None):
    page = frontend.get(f"/t/live/login?challenge={challenge}")
    return frontend.post("/t/live/login", data={
        "csrf_token": csrf_token(page), "challenge": challenge, "email": email,
        "password": password or live.password})


def test_login_page_shows_tenant_client_and_scopes_in_plain_words(frontend, live):
    _, challenge = start_flow(live)
    page = frontend.get(f"/t/live/login?challenge={challenge}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Live" in html and ">web<" in html
    assert "See your email address" in html and "View projects" in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_full_flow_with_consent_ends_in_a_code(frontend, live):
    browser, challenge = start_flow(live)
    signed_in = submit_login(frontend, challenge, live=live)
    assert signed_in.status_code == 303
    assert signed_in.headers["Location"].startswith("/t/live/consent?challenge=")
    consent = frontend.get(signed_in.headers["Location"])
    assert "Allow access?" in consent.get_data(as_text=True)
    decided = frontend.post("/t/live/consent", data={
        "csrf_token": csrf_token(consent), "challenge": challenge, "allow": "1"})
    assert decided.status_code == 303 and decided.headers["Location"].startswith(live.issuer)
    back = browser.get(decided.headers["Location"], allow_redirects=False, timeout=5)
    assert back.headers["Location"].startswith(CALLBACK) and "code=" in back.headers["Location"]


def test_form_post_page_posts_the_response_to_the_client_once(frontend, live):
    """OAuth 2.0 Form Post Response Mode through the frontend, with Authlib's client."""
    browser, challenge = start_flow(live, state="st-1", response_mode="form_post")
    consent = frontend.get(submit_login(frontend, challenge, live=live).headers["Location"])
    decided = frontend.post("/t/live/consent", data={
        "csrf_token": csrf_token(consent), "challenge": challenge, "allow": "1"})
    back = browser.get(decided.headers["Location"], allow_redirects=False, timeout=5)
    to_page = urlsplit(back.headers["Location"])
    assert to_page.path == "/t/live/form-post" and "code=" not in back.headers["Location"]
    page = frontend.get(f"{to_page.path}?{to_page.query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert f'<form method="post" action="{CALLBACK}" id="form-post">' in html
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert set(fields) == {"code", "state", "iss"} and fields["state"] == "st-1"
    assert fields["iss"] == live.issuer
    assert '<script src="/static/form_post.js"></script>' in html
    assert "form-action http://127.0.0.1:9999" in page.headers["Content-Security-Policy"]
    with frontend.get("/static/form_post.js") as script:
        assert "submit()" in script.get_data(as_text=True)
    replay = frontend.get(f"{to_page.path}?{to_page.query}")
    assert replay.status_code == 404 and "already used" in replay.get_data(as_text=True)
    client_id, secret = live.clients["web"]
    session = OAuth2Session(client_id, secret, redirect_uri=CALLBACK)
    token = session.fetch_token(f"{live.issuer}/token", code=fields["code"],
                                code_verifier="f" * 64)
    assert token["access_token"] and token["scope"] == "openid email projects:read"


def test_deny_sends_access_denied_to_the_client(frontend, live):
    browser, challenge = start_flow(live)
    consent = frontend.get(submit_login(frontend, challenge, live=live).headers["Location"])
    decided = frontend.post("/t/live/consent", data={
        "csrf_token": csrf_token(consent), "challenge": challenge, "deny": "1"})
    back = browser.get(decided.headers["Location"], allow_redirects=False, timeout=5)
    assert "error=access_denied" in back.headers["Location"]


def test_wrong_password_is_shown_on_the_page(frontend, live):
    _, challenge = start_flow(live)
    response = submit_login(frontend, challenge, password="not my password", live=live)
    assert response.status_code == 401
    assert "The email or password is incorrect." in response.get_data(as_text=True)


def test_forms_without_a_csrf_token_are_refused(frontend, live):
    _, challenge = start_flow(live)
    response = frontend.post("/t/live/login", data={
        "challenge": challenge, "email": "user1@live.example", "password": live.password})
    assert response.status_code == 400
    assert "Your form expired" in response.get_data(as_text=True)


def test_unknown_challenge_is_a_clear_page(frontend, live):
    response = frontend.get(f"/t/live/login?challenge={'A' * 43}")
    assert response.status_code == 404
    assert "Unknown sign-in challenge" in response.get_data(as_text=True)
    assert frontend.get("/t/live/login").status_code == 400


def api_requests(live) -> dict[str, float]:
    """The live API's request counters (``/metrics`` of every worker), but its own scrapes."""
    text = requests.get(f"{live.base_url}/metrics", timeout=5).text
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("tessera_http_requests_total{") and "get_metrics" not in line}


MALICIOUS_CHALLENGES = [
    f"../../../other/sign-in/challenges/{'A' * 43}", "../../../../api/v1/tenants",
    "..%2F..%2F..%2Fother", "%2e%2e/%2e%2e/console-client", f"{'A' * 43}/../../console-client",
    f"{'A' * 43}?x=1", f"{'A' * 43}#x", f"{'A' * 42}/", "A" * 44, f"{'A' * 42}\u00e9", "nope",
]


def test_malformed_challenges_and_slugs_never_reach_the_api(frontend, live):
    """The frontend holds a privileged key: a challenge or slug that is not well-formed is a
    400/404 page, and the API sees no request at all (its request counters do not move)."""
    _, challenge = start_flow(live)
    token = csrf_token(frontend.get(f"/t/live/login?challenge={challenge}"))
    before = api_requests(live)
    for bad in MALICIOUS_CHALLENGES:
        for page in ("login", "consent"):
            shown = frontend.get(f"/t/live/{page}", query_string={"challenge": bad})
            posted = frontend.post(f"/t/live/{page}", data={
                "csrf_token": token, "challenge": bad, "email": "owner@live.example",
                "password": live.password, "allow": "1"})
            for response in (shown, posted):
                assert response.status_code == 400, (bad, page, response.status_code)
                assert "malformed" in response.get_data(as_text=True)
    for slug in ("LIVE", "l", "live.x", "%2E%2E", "..", "live%3Fx", "live%23x", "li%00ve"):
        for path in (f"/t/{slug}/login?challenge={challenge}", f"/t/{slug}/console/login"):
            assert frontend.get(path).status_code in (400, 404), path
    assert api_requests(live) == before


def test_client_names_are_escaped(frontend, live):
    _, challenge = start_flow(live, XSS_NAME, scope="openid")
    html = frontend.get(f"/t/live/login?challenge={challenge}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html


def test_api_unreachable_is_a_friendly_503(live):
    app = create_app({"API_INTERNAL_URL": "http://127.0.0.1:1", "API_TIMEOUT": 2})
    response = app.test_client().get(f"/t/live/login?challenge={'A' * 43}")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "cannot be reached" in html and "Traceback" not in html


def test_probes_and_metrics(frontend):
    assert frontend.get("/health").json == {"status": "ok"}
    assert frontend.get("/health/ready").json == {"status": "ready"}
    metrics = frontend.get("/metrics").get_data(as_text=True)
    assert 'tessera_http_requests_total{app="frontend"' in metrics


def test_not_ready_without_the_api():
    app = create_app({"API_INTERNAL_URL": "http://127.0.0.1:1", "API_TIMEOUT": 2})
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/health/ready").status_code == 503
