"""Large requests at uWSGI's HTTP router (uwsgi.ini's ``http``, as ``make run`` and the
benchmark serve the apps): the app answers them, and the connection stays usable.

Each request leaves in one write, headers and body together, so the router reads as much
of it as its buffer holds at once: with 64 KiB router buffers the request's variables and
the body bytes of that first read no longer fit one uwsgi packet and the router reset the
connection; with 16 KiB worker buffers a worker dropped headers over 16 KiB (or an 8 KB URL)
and the connection closed without an answer; with uWSGI's default max-vars, a request with
a hundred headers and more hung. The router's own limit stays: it cannot form a uwsgi packet
(64 KiB) from headers over ~60 KB (~56 KB with a body) or a URL over ~28 KB (REQUEST_URI and
QUERY_STRING both carry it); with up to 32 KiB of them (nginx's limit, which refuses more:
8 KiB a line) any body goes.
"""
from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

import pytest

from settings import MAX_BODY_BYTES

KIB = 1024


def exchange(base_url: str, method: str, target: str, headers: dict[str, str],
             body: bytes = b"") -> tuple[int, int]:
    """Send one request in a single write on a keep-alive connection, then GET /health on
    the same connection; the two statuses (a reset or a close fails the test)."""
    url = urlsplit(base_url)
    head = [f"{method} {target} HTTP/1.1", f"Host: {url.netloc}",
            *(f"{name}: {value}" for name, value in headers.items())]
    if body:
        head.append(f"Content-Length: {len(body)}")
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        first = _response(sock)
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
        return first, _response(sock)


def _response(sock: socket.socket) -> int:
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.read()
    assert not response.will_close, "the router closed the connection after answering"
    return response.status


def form(size: int) -> bytes:
    """A token request's body of ``size`` bytes."""
    prefix = b"grant_type=password&username="
    return prefix + b"y" * (size - len(prefix))


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("size", [5 * KIB, 15 * KIB, 20 * KIB, 60 * KIB])
def test_a_large_header_reaches_the_api(live_stack, size):
    assert exchange(live_stack.api_url, "GET", "/t/live/api/v1/me",
                    {"X-Padding": "a" * size}) == (401, 200)


@pytest.mark.parametrize("size", [8 * KIB, 20 * KIB])
def test_a_long_url_reaches_the_api(live_stack, size):
    assert exchange(live_stack.api_url, "GET", f"/t/live/api/v1/me?padding={'a' * size}",
                    {}) == (401, 200)


def test_a_thousand_headers_reach_the_api(live_stack):
    headers = {f"X-Header-{number}": "value" for number in range(1000)}
    assert exchange(live_stack.api_url, "GET", "/t/live/api/v1/me", headers) == (401, 200)


@pytest.mark.parametrize("size", [70 * KIB, 300 * KIB, MAX_BODY_BYTES])
def test_a_large_body_reaches_the_api(live_stack, size):
    """A token request without client credentials: invalid_client, whatever the body."""
    assert exchange(live_stack.api_url, "POST", "/t/live/token", FORM, form(size)) \
        == (401, 200)


def test_large_headers_and_a_large_body_together_reach_the_api(live_stack):
    assert exchange(live_stack.api_url, "POST", "/t/live/token",
                    {**FORM, "X-Padding": "a" * 20 * KIB}, form(300 * KIB)) == (401, 200)


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 2 * MAX_BODY_BYTES])
def test_a_body_over_the_limit_gets_413(live_stack, size):
    assert exchange(live_stack.api_url, "POST", "/t/live/token", FORM, form(size)) \
        == (413, 200)


def test_a_large_header_reaches_the_frontend(live_stack):
    """The sign-in page without its challenge: refused by the frontend itself (400)."""
    assert exchange(live_stack.frontend_url, "GET", "/t/live/login",
                    {"X-Padding": "a" * 60 * KIB}) == (400, 200)


def test_large_headers_and_a_large_body_together_reach_the_frontend(live_stack):
    """A sign-in form without its CSRF token: refused by the frontend itself (400)."""
    assert exchange(live_stack.frontend_url, "POST", "/t/live/login",
                    {**FORM, "X-Padding": "a" * 30 * KIB}, form(300 * KIB)) == (400, 200)


def test_a_body_over_the_limit_gets_413_from_the_frontend(live_stack):
    assert exchange(live_stack.frontend_url, "POST", "/t/live/login", FORM,
                    form(MAX_BODY_BYTES + 1)) == (413, 200)
