"""No request makes a 5xx: property-based fuzzing (Hypothesis) of everything the REST API's
OpenAPI document does not describe (Schemathesis covers that, tests/e2e/test_schemathesis.py).

Against the API and the frontend under uWSGI on a database of their own: the OAuth and
OpenID Connect endpoints (authorize, token with every grant type, revoke, introspect,
userinfo, logout, discovery, JWKS, device authorization and verification, dynamic
registration and its management), what only the frontend calls (the sign-in challenge
API, form-post redemption), self-service sign-up, and the frontend's pages and forms
(sign-in, consent, form post, device, sign-up, and the console's with a valid CSRF token
and a signed-in owner). Values are arbitrary text (NUL and other control characters, lone
surrogates, huge values), bodies come form-encoded, as JSON (deeply nested too), as
multipart or as raw bytes under odd content types, and credentials come malformed. Every
answer must be below 500 and carry no traceback.

Runs are bounded and repeatable: a fixed number of examples per endpoint, derandomized,
without Hypothesis's example database.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from base64 import b64encode
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from settings import MAX_BODY_BYTES
from tests.authenticator import Authenticator, Credential
from tests.factories import PASSWORD
from tests.live import CALLBACK

FUZZ = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
FEW = settings(FUZZ, max_examples=40)
#: nginx refuses longer request lines (414) before the apps see them (its
#: large_client_header_buffers default, 8 KiB).
NGINX_REQUEST_LINE = 8000
GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token", "password",
               "urn:ietf:params:oauth:grant-type:device_code",
               "urn:ietf:params:oauth:grant-type:token-exchange"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data", "multipart/form-data; boundary=", "application/xml",
                 "application/json; charset=utf-16", "application/x-www-form-urlencoded; a=\"",
                 "", None]

# -- values ------------------------------------------------------------------------------

#: Any code point: NUL and the other controls, lone surrogates, non-characters.
ANY_CHARACTER = st.characters(exclude_categories=())
PIECES = st.sampled_from([
    "\x00", "\t", "\n", "\r\n", "\x1b", "\x7f", "\ud800", "\udfff", "\ufeff", "\u2028", "é",
    "\U0001f600", " ", "%", "%00", "%ff", "+", "&", "=", "#", "?", "/", "../", "..", "\\",
    '"', "'", "<script>", "{", "[", "null", "Basic ", "Bearer ",
])
ODD_TEXT = [st.text(ANY_CHARACTER, max_size=30),
            st.lists(PIECES | st.text(max_size=4), max_size=6).map("".join),
            st.integers(256, 1200).map(lambda n: "x" * n)]
#: Longer than any column, and than a body may be (nginx refuses such request lines and
#: headers before the apps see them: bodies only).
HUGE_TEXT = st.one_of(st.integers(3000, 300_000).map(lambda n: "é" * n),
                      st.just("y" * (MAX_BODY_BYTES + 1)))


def text(huge: bool = False) -> st.SearchStrategy[str]:
    """Arbitrary text; ``huge`` adds (now and then) values too long for anything."""
    return st.one_of(*ODD_TEXT, *([HUGE_TEXT] if huge else []))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text(), inner, max_size=3),
    max_leaves=12)


@st.composite
def mutated(draw, valid: dict, fuzzed: dict) -> dict:
    """``valid`` (a request that works) with a few fields fuzzed and perhaps one dropped;
    it shrinks towards ``valid``."""
    values = dict(valid)
    keys = draw(st.lists(st.sampled_from(sorted(fuzzed)), max_size=3, unique=True)) \
        if fuzzed else []  # a form of a button alone (its CSRF token) has nothing to fuzz
    for key in keys:
        values[key] = draw(fuzzed[key])
    if values and draw(st.integers(0, 4)) == 4:
        del values[draw(st.sampled_from(sorted(values)))]
    return values


def fuzz(*names: str, huge: bool = False) -> dict:
    """Arbitrary text for each of ``names``."""
    return {name: text(huge) for name in names}


def wire(value) -> bytes:
    """The bytes a client would send for ``value`` (a lone surrogate as its UTF-8 form;
    anything but text as JSON)."""
    return (value if isinstance(value, str) else json.dumps(value)).encode(
        "utf-8", "surrogatepass")


def form_encoded(fields: dict) -> bytes:
    return urlencode([(wire(key), wire(value)) for key, values in fields.items()
                      for value in (values if isinstance(values, list) else [values])]).encode()


def multipart(fields: dict) -> bytes:
    parts = [b'--fuzz\r\nContent-Disposition: form-data; name="' + wire(key) + b'"\r\n\r\n'
             + wire(value) + b"\r\n" for key, value in fields.items()]
    return b"".join(parts) + b"--fuzz--\r\n"


@st.composite
def encoded(draw, fields: dict, usual: str = "form") -> tuple[bytes, str | None]:
    """``fields`` as a request body, mostly in the ``usual`` encoding ("form" or "json"),
    else as multipart, deeply nested JSON, another JSON value, or raw bytes of any type."""
    kind = draw(st.sampled_from([usual] * 6 + ["form", "json", "multipart", "deep", "value",
                                               "raw"]))
    if kind == "form":
        return form_encoded(fields), "application/x-www-form-urlencoded"
    if kind == "json":
        return json.dumps(fields).encode(), "application/json"
    if kind == "multipart":
        return multipart(fields), "multipart/form-data; boundary=fuzz"
    if kind == "deep":
        depth = draw(st.integers(1, 100_000))
        closed = draw(st.booleans())
        return ("[" * depth + "]" * (depth if closed else 0)).encode(), "application/json"
    if kind == "value":
        return json.dumps(draw(JSON_VALUES)).encode(), "application/json"
    return draw(st.binary(max_size=300)), draw(st.sampled_from(CONTENT_TYPES))


def query_of(params: dict, extra: list = ()) -> str:
    return urlencode([(wire(key), wire(value)) for key, value in [*params.items(), *extra]])


def segment(value: str) -> str:
    """``value`` as one path segment, percent-encoded (dots too, so no client folds them)."""
    return quote(wire(value), safe="").replace(".", "%2E")


EXTRA_PARAMS = st.lists(st.tuples(text(), text()), max_size=2)


def header_value(raw: bytes) -> bytes:
    """``raw`` as a header value can carry it (no line breaks, no surrounding space)."""
    return raw.replace(b"\r", b"").replace(b"\n", b"").strip()


HEADER_VALUES = st.binary(max_size=200).map(header_value)


# -- sending -----------------------------------------------------------------------------

def exchange(http: requests.Session, method: str, url: str, *, body: bytes | None = None,
             content_type: str | None = None, headers: dict | None = None) -> requests.Response:
    """Send one request as given; fail on a 5xx or a traceback."""
    assume(len(url) < NGINX_REQUEST_LINE)
    sent = dict(headers or {})
    if content_type is not None:
        sent["Content-Type"] = content_type
    response = http.request(method, url, data=body, headers=sent, allow_redirects=False,
                            timeout=60)
    assert response.status_code < 500 and "Traceback" not in response.text, (
        f"{method} {url[:300]} ({content_type}, {len(body or b'')} bytes) -> "
        f"{response.status_code}: {response.text[:500]}")
    return response


def basic(client_id: str, secret: str | None) -> str:
    return "Basic " + b64encode(wire(client_id) + b":" + wire(secret or "")).decode()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


# -- the stack under test ----------------------------------------------------------------

def new_challenges(api_url: str, client_id: str, count: int) -> list[str]:
    """Pending sign-ins of the client (the frontend settles them)."""
    found = []
    for number in range(count):
        response = requests.get(f"{api_url}/t/live/authorize", allow_redirects=False, timeout=10,
                                params={"response_type": "code", "client_id": client_id,
                                        "redirect_uri": CALLBACK, "scope": "openid email",
                                        "state": str(number), "code_challenge": "a" * 43,
                                        "code_challenge_method": "S256"})
        found.append(re.search(r"challenge=([\w-]+)", response.headers["Location"]).group(1))
    return found


def console_session(frontend_url: str, email: str, password: str) -> requests.Session:
    """A browser signed in to the console (cookies of both apps: same host, other ports)."""
    browser = requests.Session()
    login = browser.get(f"{frontend_url}/t/live/console/login", timeout=10)
    assert login.status_code == 200, login.text
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', login.text).group(1)
    done = browser.post(f"{frontend_url}/t/live/login", timeout=20, data={
        "csrf_token": csrf_token(login.text), "challenge": challenge, "email": email,
        "password": password})
    assert done.status_code == 200 and done.url.endswith("/t/live/console"), done.text
    return browser


@pytest.fixture(scope="module")
def stack(isolated_stack):
    """The stack, the owner signed in to the console first (fuzzed sign-ins later use up
    the per-address throttle), real ids and tokens to aim at, and pending challenges."""
    live = isolated_stack.tenant
    console = console_session(isolated_stack.frontend_url, live.owner, live.password)
    admin_id, admin_secret = live.clients["admin-cli"]
    token = requests.post(f"{live.issuer}/token", auth=(admin_id, admin_secret), timeout=10,
                          data={"grant_type": "password", "username": live.owner,
                                "password": live.password}).json()["access_token"]
    legacy_id, legacy_secret = live.clients["legacy"]
    refresh = requests.post(f"{live.issuer}/token", auth=(legacy_id, legacy_secret), timeout=10,
                            data={"grant_type": "password", "username": "user2@live.example",
                                  "password": live.password}).json()["refresh_token"]
    api = f"{live.issuer}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    victim = requests.get(f"{api}/users", params={"email": "victim@live.example"},
                          headers=headers, timeout=10).json()["items"][0]["id"]
    role = requests.post(f"{api}/roles", json={"name": "fuzzed", "permissions": []},
                         headers=headers, timeout=10).json()["id"]
    web = next(c for c in requests.get(f"{api}/clients", headers=headers, timeout=10)
               .json()["items"] if c["client_id"] == live.clients["web"][0])["id"]
    return SimpleNamespace(
        api=isolated_stack.api_url, issuer=live.issuer, frontend=isolated_stack.frontend_url,
        live=live, console=console, csrf=csrf_token(console.get(
            f"{isolated_stack.frontend_url}/t/live/account", timeout=10).text),
        ids={"user": victim, "role": role, "client": web, "passkey": str(uuid.uuid4()),
             "client_id": live.clients["web"][0]},
        access_token=token,
        refresh_token=refresh,
        challenges=new_challenges(isolated_stack.api_url, live.clients["web"][0], 12))


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        yield session


def credentials(stack, client: str) -> st.SearchStrategy[dict]:
    """How a client authenticates: its own Basic credentials mostly, else made-up or broken
    ones, client_secret_post, or none."""
    client_id, secret = stack.live.clients[client]
    own = st.just({"Authorization": basic(client_id, secret)})
    return st.one_of(
        own, own, own,
        st.tuples(text(), text()).map(lambda pair: {"Authorization": basic(*pair)}),
        HEADER_VALUES.map(lambda raw: {"Authorization": b"Basic " + raw}),
        HEADER_VALUES.map(lambda raw: {"Authorization": raw}),
        st.just({}))


# -- the protocol endpoints --------------------------------------------------------------

@FUZZ
@given(data=st.data(), signed_in=st.booleans())
def test_authorization_endpoint(stack, http, data, signed_in):
    valid = {"response_type": "code", "client_id": stack.live.clients["web"][0],
             "redirect_uri": CALLBACK, "scope": "openid email", "state": "s",
             "code_challenge": "a" * 43, "code_challenge_method": "S256"}
    params = data.draw(mutated(valid, fuzz(*valid, "nonce", "prompt", "max_age",
                                           "acr_values", "claims", "response_mode",
                                           "verifier", "login_hint", "request",
                                           "request_uri")))
    browser = stack.console if signed_in else http  # the console's browser has an API session
    cookie = data.draw(st.none() | HEADER_VALUES)
    headers = {"Cookie": b"tessera_session=" + cookie + b"; tessera_browser=" + cookie} \
        if cookie is not None and not signed_in else {}
    query = query_of(params, data.draw(EXTRA_PARAMS))
    exchange(browser, "GET", f"{stack.issuer}/authorize?{query}", headers=headers)


def valid_token_requests(stack) -> dict[str, tuple[str, dict]]:
    """Per grant type: the client to use, and a request that works (the refresh token and
    the code only until first use)."""
    return {
        "client_credentials": ("service", {"scope": "projects:read"}),
        "password": ("admin-cli", {"username": stack.live.owner,
                                   "password": stack.live.password, "scope": "openid"}),
        "refresh_token": ("legacy", {"refresh_token": stack.refresh_token}),
        "authorization_code": ("web", {"code": "x" * 43, "redirect_uri": CALLBACK,
                                       "code_verifier": "v" * 43}),
        "urn:ietf:params:oauth:grant-type:device_code": ("web", {"device_code": "x"}),
        "urn:ietf:params:oauth:grant-type:token-exchange": ("web", {
            "subject_token": stack.access_token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}),
    }


@FUZZ
@given(data=st.data(), grant_type=st.sampled_from(GRANT_TYPES))
def test_token_endpoint(stack, http, data, grant_type):
    client, valid = valid_token_requests(stack)[grant_type]
    fields = data.draw(mutated({"grant_type": grant_type, **valid}, fuzz(
        "grant_type", *valid, "scope", "client_id", "client_secret", "resource", huge=True)))
    body, content_type = data.draw(encoded(fields))
    exchange(http, "POST", f"{stack.issuer}/token", body=body, content_type=content_type,
             headers=data.draw(credentials(stack, client)))


@FUZZ
@given(data=st.data(), endpoint=st.sampled_from(["revoke", "introspect"]))
def test_revocation_and_introspection(stack, http, data, endpoint):
    fields = data.draw(mutated({"token": stack.access_token, "token_type_hint": "access_token"},
                               fuzz("token", "token_type_hint", "client_id", "client_secret",
                                    huge=True)))
    body, content_type = data.draw(encoded(fields))
    exchange(http, "POST", f"{stack.issuer}/{endpoint}", body=body, content_type=content_type,
             headers=data.draw(credentials(stack, "service")))


@FUZZ
@given(method=st.sampled_from(["GET", "POST"]), credentials=st.one_of(
    text().map(lambda value: header_value(wire("Bearer " + value))), HEADER_VALUES,
    st.sampled_from([b"Bearer ", b"Basic Og==", b"Bearer a.b.c", b"bearer  x y"])))
def test_userinfo(stack, http, method, credentials):
    exchange(http, method, f"{stack.issuer}/userinfo", headers={"Authorization": credentials})


@FEW
@given(params=mutated({"post_logout_redirect_uri": "http://127.0.0.1/t/live/"},
                      fuzz("post_logout_redirect_uri", "id_token_hint", "state")),
       extra=EXTRA_PARAMS)
def test_logout(stack, http, params, extra):
    exchange(http, "GET", f"{stack.issuer}/logout?{query_of(params, extra)}")


@FEW
@given(slug=st.one_of(st.sampled_from(["live", "LIVE", "l", "live.x"]), text()),
       extra=EXTRA_PARAMS,
       path=st.sampled_from(["/.well-known/openid-configuration", "/jwks.json", "/authorize",
                             "/token", "/userinfo", "/api/v1/me", "/sign-in/console-client"]))
def test_discovery_jwks_and_tenant_paths(stack, http, slug, extra, path):
    query = query_of({}, extra)
    exchange(http, "GET", f"{stack.api}/t/{segment(slug)}{path}?{query}")
    exchange(http, "GET", f"{stack.api}/.well-known/oauth-authorization-server/t/"
                          f"{segment(slug)}?{query}")


@FEW
@given(data=st.data())
def test_device_authorization_and_verification(stack, http, data):
    fields = data.draw(mutated({"client_id": stack.live.clients["web"][0], "scope": "openid"},
                               fuzz("client_id", "scope", "resource", "client_assertion",
                                    "client_assertion_type", huge=True)))
    body, content_type = data.draw(encoded(fields))
    exchange(http, "POST", f"{stack.issuer}/device_authorization", body=body,
             content_type=content_type, headers=data.draw(credentials(stack, "web")))
    params = data.draw(mutated({"user_code": "BCDF-GHJK"}, fuzz("user_code", "verifier")))
    exchange(http, "GET", f"{stack.issuer}/device/verify?{query_of(params)}")
    page = data.draw(mutated({"user_code": "BCDF-GHJK"}, fuzz("user_code", "error", "result")))
    exchange(stack.console, "GET", f"{stack.frontend}/t/live/device?{query_of(page)}")


@pytest.fixture(scope="module")
def registered(stack):
    """Dynamic registration switched on, and one client registered through it."""
    headers = {"Authorization": f"Bearer {stack.access_token}"}
    switched = requests.patch(f"{stack.issuer}/api/v1/tenant", headers=headers, timeout=10,
                              json={"dynamic_client_registration": "open"})
    assert switched.status_code == 200, switched.text
    created = requests.post(f"{stack.issuer}/register", timeout=10, json=REGISTRATION)
    assert created.status_code in (201, 404), created.text  # 404: another process's cache
    return created.json() if created.status_code == 201 else None


REGISTRATION = {"client_name": "Fuzzed agent", "redirect_uris": ["http://127.0.0.1/cb"],
                "grant_types": ["authorization_code"], "token_endpoint_auth_method": "none",
                "scope": "openid"}


@FEW
@given(data=st.data(), method=st.sampled_from(["POST", "GET", "PUT", "DELETE"]))
def test_dynamic_registration(stack, registered, http, data, method):
    fields = data.draw(mutated(REGISTRATION, {
        **fuzz("client_name", "scope", "token_endpoint_auth_method", "jwks_uri", "client_id"),
        "redirect_uris": st.lists(text(), max_size=3), "grant_types": JSON_VALUES,
        "jwks": JSON_VALUES, "require_pkce": JSON_VALUES}))
    body, content_type = data.draw(encoded(fields, usual="json"))
    token = registered["registration_access_token"] if registered else "x"
    headers = {"Authorization": data.draw(st.one_of(
        st.just(f"Bearer {token}").map(wire), HEADER_VALUES))}
    target = "" if method == "POST" else "/" + data.draw(st.one_of(
        st.just(registered["client_id"] if registered else "x"), text().map(segment)))
    exchange(http, method, f"{stack.issuer}/register{target}", body=body,
             content_type=content_type, headers=headers)


# -- what only the frontend calls --------------------------------------------------------

@FUZZ
@given(data=st.data(), action=st.sampled_from(["", "/login", "/consent", "/second-factor",
                                               "/enrolment/totp", "/enrolment/totp/confirm"]))
def test_sign_in_challenge_api(stack, http, data, action):
    challenge = data.draw(st.one_of(
        st.sampled_from(stack.challenges), st.sampled_from(stack.challenges),
        st.text("ABCDEFabcdef0123456789-_", min_size=43, max_size=43), text()))
    valid = {"/login": {"email": "user1@live.example", "password": stack.live.password,
                        "ip": "203.0.113.9"},
             "/consent": {"approve": True, "remember": False}, "": {},
             "/second-factor": {"factor": "totp", "code": "123456", "ip": "203.0.113.9"},
             "/enrolment/totp": {}, "/enrolment/totp/confirm": {"code": "123456"}}[action]
    fields = data.draw(mutated(valid, {**fuzz("email", "password", "ip", "factor", "code",
                                              huge=True),
                                       "approve": JSON_VALUES, "remember": JSON_VALUES}))
    body, content_type = data.draw(encoded(fields, usual="json"))
    exchange(http, "POST" if action else "GET",
             f"{stack.issuer}/sign-in/challenges/{segment(challenge)}{action}",
             body=body if action else None, content_type=content_type,
             headers={"X-Frontend-Key": stack.live.frontend_key,
                      "X-End-User-IP": data.draw(HEADER_VALUES)})


@pytest.fixture(scope="module")
def passkeys(stack):
    """Passwordless sign-in switched on, and a well-formed answer to mutate: an assertion of
    a passkey nobody registered, for a real ceremony of a real sign-in."""
    assert requests.patch(f"{stack.issuer}/api/v1/tenant", json={"passkey_sign_in": True},
                          headers={"Authorization": f"Bearer {stack.access_token}"},
                          timeout=10).status_code == 200
    challenge = stack.challenges[-1]
    for _ in range(40):  # the API's tenant cache lets the setting through within seconds
        options = requests.post(
            f"{stack.issuer}/sign-in/challenges/{challenge}/passkey/options", timeout=10,
            headers={"X-Frontend-Key": stack.live.frontend_key})
        if options.status_code != 404:
            break
        time.sleep(0.25)
    options = options.json()
    return SimpleNamespace(challenge=challenge, assertion=Authenticator(stack.frontend).get(
        options, credential=Credential(options["rpId"], b"nobody")))


def credential_json() -> st.SearchStrategy:
    """A credential's JSON: a real answer's shape with fuzzed values, or anything."""
    response = st.fixed_dictionaries({}, optional={
        name: text() | JSON_VALUES for name in ("clientDataJSON", "attestationObject",
                                                "authenticatorData", "signature",
                                                "userHandle", "transports")})
    return st.one_of(JSON_VALUES, st.fixed_dictionaries({}, optional={
        "id": text(), "rawId": text(), "type": st.just("public-key") | text(),
        "response": response | JSON_VALUES}))


@FUZZ
@given(data=st.data(), action=st.sampled_from(["/passkey", "/passkey/options",
                                               "/second-factor"]))
def test_passkey_ceremonies_on_the_challenge_api(stack, passkeys, http, data, action):
    challenge = data.draw(st.one_of(st.just(passkeys.challenge), st.sampled_from(
        stack.challenges), text()))
    valid = {"credential": passkeys.assertion, "ip": "203.0.113.9",
             **({"factor": "passkey"} if action == "/second-factor" else {})}
    fields = data.draw(mutated(valid, {"credential": credential_json(),
                                       "factor": st.just("passkey") | text(),
                                       **fuzz("ip")}))
    body, content_type = data.draw(encoded(fields, usual="json"))
    exchange(http, "POST", f"{stack.issuer}/sign-in/challenges/{segment(challenge)}{action}",
             body=body, content_type=content_type,
             headers={"X-Frontend-Key": stack.live.frontend_key})


@FUZZ
@given(data=st.data(), path=st.sampled_from([
    "login/passkey/options", "login/passkey", "second-factor/passkey/options",
    "second-factor/passkey", "account/passkeys/options", "account/passkeys"]))
def test_passkey_script_endpoints_of_the_frontend(stack, passkeys, data, path):
    valid = {"challenge": passkeys.challenge, "credential": passkeys.assertion,
             "name": "Fuzzed"}
    fields = data.draw(mutated(valid, {"challenge": text(), "credential": credential_json(),
                                       "name": text(huge=True) | JSON_VALUES}))
    body, content_type = data.draw(encoded(fields, usual="json"))
    exchange(stack.console, "POST", f"{stack.frontend}/t/live/{path}", body=body,
             content_type=content_type, headers={"X-CSRFToken": stack.csrf})


@FEW
@given(reference=st.one_of(st.text("ABCDEFabcdef0123456789-_", min_size=43, max_size=43),
                           text()))
def test_form_post_redemption(stack, http, reference):
    exchange(http, "POST", f"{stack.issuer}/sign-in/form-post/{segment(reference)}",
             headers={"X-Frontend-Key": stack.live.frontend_key})
    exchange(stack.console, "GET", f"{stack.frontend}/t/live/form-post?"
                                   f"{query_of({'ref': reference})}")


@FEW
@given(data=st.data(), as_frontend=st.booleans())
def test_tenant_sign_up_api(stack, http, data, as_frontend):
    valid = {"slug": "fuzzed-tenant", "name": "Fuzzed", "owner_email": "owner@fuzz.example",
             "owner_password": stack.live.password}
    fields = data.draw(mutated(valid, fuzz(*valid, huge=True)))
    body, content_type = data.draw(encoded(fields, usual="json"))
    headers = {"X-End-User-IP": data.draw(HEADER_VALUES)}
    if as_frontend:
        headers["X-Frontend-Key"] = stack.live.frontend_key
    exchange(http, "POST", f"{stack.api}/api/v1/tenants", body=body,
             content_type=content_type, headers=headers)


# -- the frontend's forms ----------------------------------------------------------------

@FUZZ
@given(data=st.data(), page=st.sampled_from(["login", "consent", "second-factor", "enrol"]))
def test_sign_in_and_consent_pages(stack, data, page):
    challenge = data.draw(st.one_of(st.sampled_from(stack.challenges),
                                    st.sampled_from(stack.challenges), text()))
    exchange(stack.console, "GET", f"{stack.frontend}/t/live/{page}?"
                                   f"{query_of({'challenge': challenge})}")
    valid = {"csrf_token": stack.csrf, "challenge": challenge,
             **{"login": {"email": "user1@live.example", "password": stack.live.password},
                "consent": {"allow": "1", "remember": "y"},
                "second-factor": {"code": "123456", "recovery_code": "abcde-fghij"},
                "enrol": {"code": "123456"}}[page]}
    fields = data.draw(mutated(valid, fuzz(*valid, "deny", huge=True)))
    body, content_type = data.draw(encoded(fields))
    exchange(stack.console, "POST", f"{stack.frontend}/t/live/{page}", body=body,
             content_type=content_type)


@FEW
@given(data=st.data())
def test_sign_up_form(stack, data):
    valid = {"csrf_token": stack.csrf, "slug": "fuzzed-form", "name": "Fuzzed",
             "owner_email": "owner@fuzz.example", "owner_password": stack.live.password}
    fields = data.draw(mutated(valid, fuzz(*valid, huge=True)))
    body, content_type = data.draw(encoded(fields))
    exchange(stack.console, "POST", f"{stack.frontend}/signup", body=body,
             content_type=content_type)


#: Each console form: where it posts under /t/live/console/ (the account page's forms under
#: /t/live/account/; {kind} is a real id of that kind) and what works.
CONSOLE_FORMS = {
    "users": ("users", {"email": "new@live.example", "password": "another long password",
                        "role": "user"}),
    "user-role": ("users/{user}/role", {"role": "admin"}),
    "user-active": ("users/{user}/active", {"active": "0"}),
    "roles": ("roles", {"name": "fuzz-role", "description": "Fuzzed",
                        "permissions": ["projects:read"]}),
    "role": ("roles/{role}", {"description": "Fuzzed", "permissions": ["projects:read"]}),
    "clients": ("clients/new", {"app_type": "web", "client_name": "Fuzzed",
                                "grant_types": ["authorization_code"], "scope": ["openid"],
                                "redirect_uris": CALLBACK, "require_pkce": "y",
                                "logo_uri": "https://app.example/logo.png"}),
    "client": ("clients/{client}", {"client_name": "web", "grant_types": ["authorization_code"],
                                    "scope": ["openid", "projects:read"],
                                    "redirect_uris": CALLBACK, "require_pkce": "y",
                                    "policy_uri": "https://app.example/privacy"}),
    "user-reset": ("users/{user}/password-reset", {}),
    "user-factors-reset": ("users/{user}/factors-reset", {}),
    "settings": ("settings", {"name": "Live", "access_token_lifetime": "1",
                              "access_token_unit": "3600", "refresh_token_lifetime": "1",
                              "refresh_token_unit": "86400", "self_signup_enabled": "y",
                              "require_verified_email": "", "password_min_length": "12",
                              "display_name": "Live", "primary_color": "#2f5bd3",
                              "dynamic_client_registration": "off",
                              "registration_grant_types": ["authorization_code"],
                              "registration_scope": "openid", "mfa_policy": "optional"}),
    "account": ("account/password", {"current_password": PASSWORD,
                                     "password": "yet another long password",
                                     "confirm": "yet another long password"}),
    "profile": ("account/profile", {"name": "Fuzz Ed", "given_name": "Fuzz",
                                    "family_name": "Ed"}),
    "email": ("account/email", {"email": "fuzzed@live.example",
                                "current_password": "not the password"}),
    "totp": ("account/factors/totp", {"code": "123456"}),
    "totp-remove": ("account/factors/totp/remove", {}),
    "recovery-codes": ("account/factors/recovery-codes", {}),
    "passkey-name": ("account/passkeys/{passkey}/name", {"name": "Fuzzed"}),
    "passkey-remove": ("account/passkeys/{passkey}/remove", {}),
    # Someone else's id and an application the owner never allowed: the console stays.
    "session-end": ("account/sessions/{user}/end", {}),
    "application-revoke": ("account/applications/{client_id}/revoke", {}),
    "apis": ("apis", {"identifier": "https://fuzz.example/api", "name": "Fuzzed",
                      "scope": "fuzz:read"}),
    "registration": ("registration", {"description": "Fuzzed", "expires_in": "1",
                                      "expires_unit": "3600", "multi_use": "y"}),
}


@pytest.mark.parametrize("form", CONSOLE_FORMS)
@FEW
@given(data=st.data())
def test_console_forms(stack, form, data):
    path, valid = CONSOLE_FORMS[form]
    lists = {name: st.lists(text(), max_size=3) for name, value in valid.items()
             if isinstance(value, list)}
    fuzzed = {**fuzz(*valid, huge=True), **lists}
    fields = data.draw(mutated({"csrf_token": stack.csrf, **valid}, fuzzed))
    body, content_type = data.draw(encoded(fields))
    target = path.format(**stack.ids)
    if "{" in path and data.draw(st.integers(0, 3)) == 3:  # another id, or no id at all
        target = target.rsplit("/", 1)[0] + "/" + data.draw(
            st.one_of(st.uuids().map(str), text().map(segment)))
    page = target if target.startswith("account/") else f"console/{target}"
    exchange(stack.console, "POST", f"{stack.frontend}/t/live/{page}", body=body,
             content_type=content_type)


@FEW
@given(page=st.sampled_from(["users", "audit", "clients", "roles", "tokens", "", "account",
                             "settings", f"clients/{uuid.UUID(int=0)}", "clients/new",
                             "audit.csv", f"users/{uuid.UUID(int=0)}", "apis",
                             "registration"]),
       filters=mutated({}, {**fuzz("email", "role", "active", "page", "actor", "action",
                                   "until", "target", "outcome", "client_name", "client_id",
                                   "grant_type", "user_id"),
                            "since": st.sampled_from(["2024-01-01", "2024-01-01T00:00:00Z"])}),
       extra=EXTRA_PARAMS)
def test_console_pages_and_filters(stack, page, filters, extra):
    exchange(stack.console, "GET",
             f"{stack.frontend}/t/live/console/{page}?{query_of(filters, extra)}")


def test_the_console_session_survived_the_fuzzing(stack):
    """Guards the fuzzing itself: the console forms were exercised signed in, not bounced."""
    page = stack.console.get(f"{stack.frontend}/t/live/account",
                             allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "Sign out" in page.text
