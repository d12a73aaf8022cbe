"""Console sign-in through the authorization code flow, server-side sessions, console pages."""
import re

from tests.helpers import csrf_token, sign_in


def test_console_requires_sign_in(frontend):
    response = frontend.get("/t/live/console")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/t/live/console/login?next=/t/live/console")


def test_owner_signs_in_sees_dashboard_and_signs_out(frontend, live):
    sign_in(frontend, live, live.owner)
    dashboard = frontend.get("/t/live/console")
    html = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200 and "Your role: owner" in html
    assert "active grant" in html and "Recent activity" in html
    # Tokens never reach the browser (the recent activity may name settings such as
    # access_token_lifetime, never a token).
    assert not re.search(r"\baccess_token\b", html) and "eyJ" not in html
    cookie = frontend.get_cookie("tessera_console", path="/t/live/")
    assert cookie.http_only and cookie.same_site == "Lax"
    signed_out = frontend.post("/t/live/console/logout", data={
        "csrf_token": csrf_token(dashboard)})
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith(f"{live.issuer}/logout?")
    assert frontend.get("/t/live/console").status_code == 302


def test_a_user_sees_only_what_the_role_allows(frontend, live):
    sign_in(frontend, live, "user2@live.example")
    html = frontend.get("/t/live/console").get_data(as_text=True)
    assert "Your role: user" in html
    assert "Applications</a>" not in html and "Recent activity" not in html
    assert "Sessions &amp; tokens</a>" in html and "Your sessions and applications" in html


def test_create_a_client_and_see_its_secret_once(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/clients/new")
    created = frontend.post("/t/live/console/clients/new", data={
        "csrf_token": csrf_token(page), "client_name": "Reporting", "app_type": "m2m",
        "scope": ["projects:read"]})
    assert created.status_code == 303  # POST, redirect, GET: a reload creates nothing
    shown = frontend.get(created.headers["Location"])
    html = shown.get_data(as_text=True)
    assert "shown only this once" in html and "client_credentials" in html
    secret = re.search(r'id="client-secret" readonly value="([^"]+)"', html).group(1)
    again = frontend.get(created.headers["Location"]).get_data(as_text=True)
    assert "Reporting" in again and secret not in again


def test_revoking_a_token_signs_that_grant_out(frontend, live):
    sign_in(frontend, live, "user1@live.example")
    tokens = frontend.get("/t/live/console/tokens")
    grant_id = re.search(r"/tokens/([0-9a-f-]{36})/revoke", tokens.get_data(as_text=True))
    revoked = frontend.post(f"/t/live/console/tokens/{grant_id.group(1)}/revoke",
                            data={"csrf_token": csrf_token(tokens)})
    assert revoked.status_code in (302, 303)
    # that was the console's own grant: the session is no longer honoured
    after = frontend.get("/t/live/console")
    assert after.status_code == 302 and after.headers["Location"].endswith("/console/login")


def test_posts_without_csrf_are_refused(frontend, live):
    sign_in(frontend, live, live.owner)
    assert frontend.post("/t/live/console/logout").status_code == 400
