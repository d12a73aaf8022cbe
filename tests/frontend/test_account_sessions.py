"""The account page's sessions and applications against the live API: two browsers signed
in, this one marked, the other ended; an application allowed, then revoked; in German."""
import re
import uuid

import requests
from authlib.integrations.requests_client import OAuth2Session

from frontend.app import create_app
from tests.helpers import csrf_token, get_me, owner_api, sign_in, sign_in_through_frontend
from tests.live import CALLBACK


def new_user(live) -> str:
    email = f"acct-{uuid.uuid4().hex[:6]}@live.example"
    created = owner_api(live).post(f"{live.issuer}/api/v1/users", timeout=10, json={
        "email": email, "password": live.password, "role": "user"})
    assert created.status_code == 201, created.text
    return email


def another_frontend(live, tmp_path):
    """A second browser's view of the same frontend (its own cookies)."""
    app = create_app({"API_INTERNAL_URL": live.base_url, "PUBLIC_API_URL": live.base_url,
                      "FRONTEND_API_KEY": live.frontend_key})
    app.instance_path = str(tmp_path)
    return app.test_client()


def rows(html: str, table: str) -> list[str]:
    body = re.search(rf'<table class="stack {table}">.*?</table>', html, re.S)
    return re.findall(r"<tr>.*?</tr>", body.group(0), re.S)[1:] if body else []


def test_two_sessions_this_one_marked_and_the_other_ended(frontend, live, tmp_path):
    email = new_user(live)
    sign_in(frontend, live, email)
    other = another_frontend(live, tmp_path)
    sign_in(other, live, email)
    account = frontend.get("/t/live/account")
    html = account.get_data(as_text=True)
    sessions = rows(html, "sessions")
    assert len(sessions) == 2
    [mine] = [row for row in sessions if "This device" in row]
    [theirs] = [row for row in sessions if "This device" not in row]
    assert "Unknown browser" in theirs and "127.0.0.1" in theirs  # python-requests
    assert "/end" not in mine  # this one signs out with the usual button
    end = re.search(r'action="(/t/live/account/sessions/[0-9a-f-]{36}/end)"', theirs).group(1)
    ended = frontend.post(end, data={"csrf_token": csrf_token(account)},
                          follow_redirects=True)
    assert "Session ended; that device is signed out." in ended.get_data(as_text=True)
    assert len(rows(ended.get_data(as_text=True), "sessions")) == 1
    bounced = other.get("/t/live/account")
    assert bounced.status_code == 302 and "/console/login" in bounced.headers["Location"]


def test_an_application_allowed_is_listed_in_words_and_revoked(frontend, live):
    email = new_user(live)
    client_id, secret = live.clients["web"]
    oauth = OAuth2Session(client_id, secret, scope="openid email projects:read",
                          redirect_uri=CALLBACK, code_challenge_method="S256")
    url, _state = oauth.create_authorization_url(f"{live.issuer}/authorize",
                                                 code_verifier="v" * 64)
    callback = sign_in_through_frontend(live, requests.Session(), url, email)
    tokens = oauth.fetch_token(f"{live.issuer}/token", authorization_response=callback,
                               code_verifier="v" * 64)
    sign_in(frontend, live, email)
    account = frontend.get("/t/live/account", headers={"Accept-Language": "de"})
    html = account.get_data(as_text=True)
    assert "Wo Sie angemeldet sind" in html and "Dieses Gerät" in html
    [web] = rows(html, "applications")
    assert ">web<" in web and "Ihre E-Mail-Adresse sehen" in web
    revoke = re.search(r'action="(/t/live/account/applications/[^"/]+/revoke)"', web).group(1)
    revoked = frontend.post(revoke, data={"csrf_token": csrf_token(account)},
                            headers={"Accept-Language": "de"}, follow_redirects=True)
    page = revoked.get_data(as_text=True)
    assert "Zugriff entzogen" in page and rows(page, "applications") == []
    assert "Sie haben noch keiner Anwendung Zugriff erlaubt." in page
    assert get_me(live, tokens["access_token"]).status_code == 401
    again = frontend.post(revoke, data={"csrf_token": csrf_token(account)},
                          follow_redirects=True)
    assert "No such application" in again.get_data(as_text=True)
