"""Server-side requests to URLs that clients registered (``jwks_uri``, back-channel logout).

Such a URL is chosen by whoever registers the client, so calling it must not turn
Tessera into a proxy into its own network (SSRF). Every request made here
(:func:`fetch_json`, :func:`post_form`):

- goes to https only in production (http too in development and testing);
- resolves the host once and refuses loopback, private, link-local, multicast,
  reserved and unspecified addresses unless ``OUTBOUND_ALLOW_PRIVATE`` is true, then
  connects to the address it checked (no second lookup a DNS rebinding could change),
  verifying the certificate for the host name;
- follows no redirect, sends no credentials, bounds the connect and read time and the
  size of the answer read.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import time
from urllib.parse import urlencode, urlsplit

import urllib3
from flask import current_app

CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 3.0
MAX_BYTES = 64 * 1024
USER_AGENT = "Tessera"


class OutboundError(Exception):
    """The URL may not be called, or did not answer with what was expected."""


def is_forbidden_address(address: str) -> bool:
    """Whether ``address`` is loopback, private, link-local or otherwise not public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str) -> None:
    """Refuse a URL whose scheme this environment does not allow (before any lookup)."""
    parts = urlsplit(url)
    allowed = ("https",) if current_app.config["TESSERA_ENV"] == "production" \
        else ("https", "http")
    if parts.scheme not in allowed or not parts.hostname:
        raise OutboundError(f"only {' or '.join(allowed)} URLs with a host can be called")
    if parts.username or parts.password:
        raise OutboundError("URLs with credentials are not called")


def _resolve(host: str, port: int) -> str:
    """The address to connect to: the first one of ``host``, all of them checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundError(f"cannot resolve {host!r}") from error
    addresses = [info[4][0] for info in infos]
    if not current_app.config["OUTBOUND_ALLOW_PRIVATE"] and any(
            is_forbidden_address(address) for address in addresses):
        raise OutboundError(f"{host!r} is a loopback, private or link-local address "
                            "(set OUTBOUND_ALLOW_PRIVATE to allow it)")
    return addresses[0]


def _request(method: str, url: str, headers: dict, body: bytes | None = None,
             max_bytes: int = MAX_BYTES) -> tuple[int, bytes]:
    """``(status, body)`` of one request under the rules of the module docstring."""
    check_url(url)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(parts.hostname, port)
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    headers = {"Host": parts.netloc, "User-Agent": USER_AGENT, **headers}
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout, retries=False,
                                           server_hostname=parts.hostname,
                                           assert_hostname=parts.hostname,
                                           cert_reqs="CERT_REQUIRED")
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        with pool:
            response = pool.urlopen(method, path, body=body, headers=headers, redirect=False,
                                    preload_content=False)
            return response.status, _read_bounded(response, max_bytes)
    except urllib3.exceptions.HTTPError as error:
        raise OutboundError(f"calling {url} failed: {type(error).__name__}") from error


def fetch_json(url: str, max_bytes: int = MAX_BYTES) -> dict:
    """GET ``url``; its JSON object (OutboundError for any other answer than 200 with one)."""
    status, body = _request("GET", url, {"Accept": "application/json"}, max_bytes=max_bytes)
    if status != 200:
        raise OutboundError(f"{url} answered {status}")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise OutboundError(f"{url} did not answer with JSON") from error
    if not isinstance(document, dict):
        raise OutboundError(f"{url} did not answer with a JSON object")
    return document


def post_form(url: str, form: dict[str, str]) -> int:
    """POST ``form`` (``application/x-www-form-urlencoded``) to ``url``; its status, which
    must be 2xx (OutboundError otherwise)."""
    status, _ = _request("POST", url, {"Content-Type": "application/x-www-form-urlencoded",
                                       "Cache-Control": "no-store"},
                         urlencode(form).encode())
    if not 200 <= status < 300:
        raise OutboundError(f"{url} answered {status}")
    return status


def _read_bounded(response, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of the body, within READ_TIMEOUT overall."""
    deadline = time.monotonic() + READ_TIMEOUT
    chunks, size = [], 0
    try:
        for chunk in response.stream(8192):
            size += len(chunk)
            if size > max_bytes:
                raise OutboundError(f"the answer is larger than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise OutboundError("the answer took too long")
            chunks.append(chunk)
    finally:
        response.release_conn()
    return b"".join(chunks)
