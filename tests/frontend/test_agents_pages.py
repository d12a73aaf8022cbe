"""The device page, and the console pages for APIs (resources), dynamic registration and
initial access tokens, against the live API."""
import re
import uuid

from tests.helpers import csrf_token, sign_in


def test_the_device_page_sends_the_code_to_the_api(frontend, live):
    page = frontend.get("/t/live/device?user_code=BCDF-GHJK")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="BCDF-GHJK"' in html
    assert f'action="{live.base_url}/t/live/device/verify"' in html
    assert 'method="get"' in html


def test_the_device_page_shows_only_known_messages(frontend):
    assert "not valid" in frontend.get("/t/live/device?error=invalid_code").get_data(
        as_text=True)
    assert "Device connected" in frontend.get("/t/live/device?result=approved").get_data(
        as_text=True)
    odd = frontend.get("/t/live/device?error=<script>&result=<b>").get_data(as_text=True)
    assert "<script>" not in odd and "Connect a device" in odd


def test_register_an_api_and_remove_it(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/apis")
    assert f"{live.base_url}/t/live/api/v1" in page.get_data(as_text=True)  # built in
    identifier = f"https://{uuid.uuid4().hex[:8]}.live.example/api"
    created = frontend.post("/t/live/console/apis", data={
        "csrf_token": csrf_token(page), "identifier": identifier, "name": "Reports",
        "scope": "reports:read"})
    assert created.status_code == 303
    listed = frontend.get("/t/live/console/apis").get_data(as_text=True)
    assert identifier in listed and "reports:read" in listed
    resource_id = re.search(re.escape(identifier) + r"</code>.*?/apis/([0-9a-f-]{36})/delete",
                            listed, re.S).group(1)  # its own row: other tests add APIs too
    removed = frontend.post(f"/t/live/console/apis/{resource_id}/delete",
                            data={"csrf_token": csrf_token(page)})
    assert removed.status_code == 303
    assert identifier not in frontend.get("/t/live/console/apis").get_data(as_text=True)


def test_create_an_initial_access_token_shown_once(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/registration")
    assert "Dynamic client registration" in page.get_data(as_text=True)
    created = frontend.post("/t/live/console/registration", data={
        "csrf_token": csrf_token(page), "description": "CI agents", "expires_in": "1",
        "expires_unit": "3600"})
    assert created.status_code == 303  # POST, redirect, GET: the token waits server-side
    shown = frontend.get(created.headers["Location"])
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "shown only this once" in html
    token = re.search(r'readonly value="([^"]+)"', html).group(1)
    again = frontend.get("/t/live/console/registration").get_data(as_text=True)
    assert "CI agents" in again and token not in again
    too_long = frontend.post("/t/live/console/registration", data={
        "csrf_token": csrf_token(page), "description": "Forever", "expires_in": "91",
        "expires_unit": "86400"})
    assert too_long.status_code == 422 and "field-error" in too_long.get_data(as_text=True)


def test_a_user_sees_neither_page(frontend, live):
    sign_in(frontend, live, "user0@live.example")
    html = frontend.get("/t/live/console").get_data(as_text=True)
    assert "APIs</a>" not in html and "Registration</a>" not in html
    assert frontend.get("/t/live/console/apis").status_code == 403


def test_owner_switches_dynamic_registration_in_settings(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/settings")

    def save(mode):
        return frontend.post("/t/live/console/settings", follow_redirects=True, data={
            "csrf_token": csrf_token(page), "name": "Live", "access_token_lifetime": "1",
            "access_token_unit": "3600", "refresh_token_lifetime": "1",
            "refresh_token_unit": "86400", "dynamic_client_registration": mode,
            "registration_grant_types": ["authorization_code"],
            "registration_scope": "openid"}).get_data(as_text=True)

    assert "Settings saved." in save("initial_access_token")
    shown = frontend.get("/t/live/console/registration").get_data(as_text=True)
    assert "open to holders of an initial access token" in shown
    assert "Settings saved." in save("off")
