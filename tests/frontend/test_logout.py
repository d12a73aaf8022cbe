"""The sign-out confirmation page: what the API sends browsers to when a sign-out request
has no valid hint of their session (a GET never signs out; the POST carries a CSRF token)."""
import requests

from tests.helpers import csrf_token, local


def parked_logout(live) -> str:
    """A sign-out request as the API parks it for a browser without a hint."""
    answer = requests.get(f"{live.issuer}/logout", allow_redirects=False, timeout=5)
    assert answer.status_code == 302 and "/t/live/logout?request=" in answer.headers["Location"]
    return local(answer.headers["Location"])


def test_the_confirmation_is_a_form_and_only_its_post_signs_out(frontend, live):
    page = frontend.get(parked_logout(live))
    assert page.status_code == 200 and "<h1>Sign out?</h1>" in page.get_data(as_text=True)
    assert 'method="post"' in page.get_data(as_text=True)
    forged = frontend.post("/t/live/logout", data={"request": "x"})
    assert forged.status_code == 400  # no CSRF token
    request = page.get_data(as_text=True).split('name="request" type="hidden" value="')[1]
    confirmed = frontend.post("/t/live/logout", data={
        "csrf_token": csrf_token(page), "request": request.split('"')[0]})
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].endswith("/t/live/console/signed-out")


def test_broken_or_refused_requests_are_pages_that_sign_nobody_out(frontend, live):
    assert frontend.get("/t/live/logout").status_code == 400
    refused = frontend.get("/t/live/logout?error=invalid_request")
    assert refused.status_code == 400 and "still signed in" in refused.get_data(as_text=True)
    expired = frontend.get("/t/live/logout?request=forged.request")
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)
