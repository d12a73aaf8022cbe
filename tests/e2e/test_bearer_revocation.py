"""Revocation reaches every API process at once: two uWSGI instances (two worker processes
each) on one database. The bearer check keeps no per-process record of a token's validity
(only the signature's verification, which never changes), so whatever one instance revokes,
the next request to the other is refused."""
import requests

from tests.live import PASSWORD, uwsgi

#: Requests per instance: enough to reach both of its worker processes.
ROUNDS = 6


def password_tokens(base_url: str, live) -> dict:
    return requests.post(f"{base_url}/t/live/token", auth=live.clients["legacy"], timeout=10,
                         data={"grant_type": "password", "username": "user0@live.example",
                               "password": PASSWORD, "scope": "openid projects:read"}).json()


def statuses(base_url: str, access_token: str) -> set[int]:
    """What GET /me and GET /projects answer, ROUNDS times each."""
    return {requests.get(f"{base_url}/t/live/api/v1/{path}", timeout=10,
                         headers={"Authorization": f"Bearer {access_token}"}).status_code
            for _ in range(ROUNDS) for path in ("me", "projects")}


def active(base_url: str, live, token: str) -> set[bool]:
    return {requests.post(f"{base_url}/t/live/introspect", auth=live.clients["legacy"],
                          data={"token": token}, timeout=10).json()["active"]
            for _ in range(ROUNDS)}


def revoke(base_url: str, live, token: str) -> None:
    assert requests.post(f"{base_url}/t/live/revoke", auth=live.clients["legacy"],
                         data={"token": token}, timeout=10).status_code == 200


def test_a_revocation_at_one_instance_is_refused_at_once_by_the_other(isolated_live):
    live = isolated_live
    with uwsgi("api", {**live.database_env, "PUBLIC_API_URL": live.base_url}) as second:
        instances = (live.base_url, second)
        access, grant = password_tokens(live.base_url, live), password_tokens(second, live)
        for base_url in instances:  # every process has checked (and verified) both tokens
            for tokens in (access, grant):
                assert statuses(base_url, tokens["access_token"]) == {200}
                assert active(base_url, live, tokens["access_token"]) == {True}
        revoke(live.base_url, live, access["access_token"])  # the access token alone
        revoke(second, live, grant["refresh_token"])  # the whole grant
        for base_url in instances:
            for tokens in (access, grant):
                assert statuses(base_url, tokens["access_token"]) == {401}
                assert active(base_url, live, tokens["access_token"]) == {False}
