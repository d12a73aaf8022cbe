"""What the frontend sends to the API: every path built from encoded segments, no input pasted.

A real HTTP server stands in for the API here so that the test sees the exact request line
the frontend sent (the API itself would answer 404 to a mangled path either way).
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from frontend import api_client
from frontend.api_client import ApiError
from frontend.app import create_app

TOKEN = "A" * 43


class Recorder(BaseHTTPRequestHandler):
    """Records each request line's target and answers 404 with a problem document."""

    seen: list[str] = []

    def _answer(self):
        self.seen.append(self.path)
        body = b'{"title": "Not Found", "status": 404}'
        self.send_response(404)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def recorded():
    """A frontend app context whose API is the recorder; yields the paths it received."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    Recorder.seen = []
    app = create_app({"API_INTERNAL_URL": url, "PUBLIC_API_URL": "https://api.example"})
    try:
        with app.app_context():
            yield Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("segment,sent", [
    ("../../../other", "..%2F..%2F..%2Fother"), ("a/b", "a%2Fb"), ("x?y=1#z", "x%3Fy%3D1%23z"),
    ("%2e%2e", "%252e%252e"), ("sp ace", "sp%20ace"), ("caf\u00e9", "caf%C3%A9"),
])
def test_each_segment_is_encoded_whole(recorded, segment, sent):
    with pytest.raises(ApiError):
        api_client.rest("GET", "live", "token", "users", segment)
    assert recorded == [f"/t/live/api/v1/users/{sent}"]


@pytest.mark.parametrize("call", [
    lambda: api_client.rest("GET", "live", "token", "users", ".."),
    lambda: api_client.rest("DELETE", "live", "token", "users", "."),
    lambda: api_client.rest("GET", "live", "token", "users", ""),
    lambda: api_client.get_challenge("live", "../../../other/sign-in/challenges/" + TOKEN),
    lambda: api_client.get_challenge("live", TOKEN + "/../x"),
    lambda: api_client.log_in("live", "nope", "a@b.c", "pw", None),
    lambda: api_client.decide("live", TOKEN[:-1] + "%", True, False),
    lambda: api_client.get_challenge("../other", TOKEN),
    lambda: api_client.console_client("LIVE"),
    lambda: api_client.token("live/../other", {}),
    lambda: api_client.revoke("li ve", "client", "token"),
    lambda: api_client.redeem_form_post("live", "../../sign-in/console-client"),
    lambda: api_client.redeem_form_post("live", TOKEN + "x"),
])
def test_malformed_identifiers_are_refused_without_a_request(recorded, call):
    with pytest.raises(ApiError) as refused:
        call()
    assert refused.value.status == 404
    assert recorded == []


def test_well_formed_identifiers_are_sent(recorded):
    with pytest.raises(ApiError):
        api_client.get_challenge("live", TOKEN)
    with pytest.raises(ApiError):
        api_client.decide("live", TOKEN, True, False)
    with pytest.raises(ApiError):
        api_client.redeem_form_post("live", TOKEN)
    assert recorded == [f"/t/live/sign-in/challenges/{TOKEN}",
                        f"/t/live/sign-in/challenges/{TOKEN}/consent",
                        f"/t/live/sign-in/form-post/{TOKEN}"]


def test_browser_addresses_are_built_the_same_way(recorded):
    assert api_client.browser_url("live", "logout", post_logout_redirect_uri="https://f/x y") == \
        "https://api.example/t/live/logout?post_logout_redirect_uri=https%3A%2F%2Ff%2Fx+y"
    with pytest.raises(ApiError):
        api_client.browser_url("../evil", "authorize")
