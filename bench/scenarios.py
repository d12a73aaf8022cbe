"""The issue's scenarios, for Tessera (on a seeded fixture) and for the peer.

Tessera's rows are named after what they measure; the peer's after load.py's scenario
kinds (``me``, ``cc``, ``password``, ``introspect``). The peer defaults are the fixtures
of the django-oauth-toolkit harness (../shared/peers/dot/README.md).

Tessera's password grant takes turns among a few users: it throttles sign-ins per account
and address and counts an attempt before checking it, so more than five at once for one
account from one address (8 connections through two API instances) are refused, as a
guessing attack would be. The peer has no such limit and keeps load.py's one user.
"""
from __future__ import annotations

from collections.abc import Callable

from loadgen import Server, cycle, form
from seed import ES256_TENANT, MEASURED, PASSWORD, SCOPE, USER_EMAIL, USERS, Fixture

HEALTH = "GET /health"
ME = "GET /api/v1/me"
PROJECTS = "GET /api/v1/projects"
INTROSPECTION = "introspection"
CC_RS256 = "client_credentials RS256"
CC_ES256 = "client_credentials ES256"
REFRESH = "refresh (rotation)"
PASSWORD_GRANT = "password (argon2id)"

#: The peer's paths and fixtures, each a --peer-... option of oauth_load.py.
PEER_DEFAULTS = {
    "token_path": "/o/token/", "introspect_path": "/o/introspect/", "me_path": "/api/me",
    "cc_client": "bench-cc-client:bench-cc-secret-0123456789abcdef",
    "pw_client": "bench-pw-client:bench-pw-secret-0123456789abcdef",
    "user": "bench-user:bench-pass-0123456789", "scope": "read",
}
PEER_KINDS = ("me", "cc", "password", "introspect")
#: oauth_load.py --only: short name -> (Tessera's row, the peer's kind it is compared with)
ONLY = {"me": (ME, "me"), "projects": (PROJECTS, "me"), "introspection": (INTROSPECTION,
        "introspect"), "cc-rs256": (CC_RS256, "cc"), "cc-es256": (CC_ES256, "cc"),
        "refresh": (REFRESH, None), "password": (PASSWORD_GRANT, "password")}


def tessera(gen, base_url: str, connections: int, fixture: Fixture,
            refresh_pool: Callable[[], bytes]) -> tuple[Server, dict]:
    """Tessera's measured tenant as load.py options, and its scenarios by row name, each
    tried once. A user's token (password grant) is the bearer of GET /me and /projects
    and the token the service client introspects; ``refresh_pool`` gives each refresh
    request its body (``loadgen.pool``)."""
    issuer = f"/t/{MEASURED}"
    server = Server(gen, base_url, connections, token_path=f"{issuer}/token",
                    introspect_path=f"{issuer}/introspect", me_path=f"{issuer}/api/v1/me",
                    cc_client=fixture.service[MEASURED], pw_client=fixture.legacy,
                    user=(USER_EMAIL, PASSWORD), cc_scope="projects:read", pw_scope=SCOPE,
                    me_scope=SCOPE)
    return server, {
        HEALTH: server.get(HEALTH, "/health"),
        ME: server.scenario("me", ME),
        PROJECTS: server.scenario("me", PROJECTS, me_path=f"{issuer}/api/v1/projects"),
        INTROSPECTION: server.scenario("introspect", INTROSPECTION),
        CC_RS256: server.scenario("cc", CC_RS256),
        CC_ES256: server.scenario("cc", CC_ES256, token_path=f"/t/{ES256_TENANT}/token",
                                  cc_client=fixture.service[ES256_TENANT]),
        REFRESH: server.varying(REFRESH, f"{issuer}/token", fixture.legacy, refresh_pool),
        PASSWORD_GRANT: server.varying(PASSWORD_GRANT, f"{issuer}/token", fixture.legacy, cycle([
            form(grant_type="password", username=email, password=PASSWORD, scope=SCOPE)
            for email in USERS])),
    }


def peer(gen, base_url: str, connections: int, options: dict) -> tuple[Server, dict]:
    """The peer as load.py options (``options`` as PEER_DEFAULTS), and its scenarios by
    load.py kind, each tried once."""
    scope = options["scope"]
    server = Server(gen, base_url, connections, cc_scope=scope, pw_scope=scope, me_scope=scope,
                    **{key: _credentials(value) if key in ("cc_client", "pw_client", "user")
                       else value for key, value in options.items() if key != "scope"})
    return server, {kind: server.scenario(kind, kind) for kind in PEER_KINDS}


def _credentials(value: str) -> tuple[str, str]:
    first, _, second = value.partition(":")
    return first, second


def only(target: tuple[Server, dict], names: list[str] | None) -> tuple[Server, dict]:
    """``target``'s scenarios, only those named in ``names`` (keys of ONLY) and /health,
    or all of them when ``names`` is None."""
    if names is None:
        return target
    server, runs = target
    keep = {HEALTH, *(part for name in names for part in ONLY[name])}
    return server, {row: scenario for row, scenario in runs.items() if row in keep}
