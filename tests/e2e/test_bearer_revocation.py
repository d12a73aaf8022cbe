"""Revocation, and every change to what a token carries, reach every API process at once: two
uWSGI instances (two worker processes each) on one database. The bearer check keeps no
per-process record of a token's validity (only the signature's verification, which never
changes), and what it caches of the token's client and user is keyed by the tenant's bearer
generation, read with the token (api.oauth.bearer_cache), so whatever one instance revokes
or changes, the next request to the other sees."""
import requests
import sqlalchemy as sa

from api.rbac.permissions import ALL
from tests.live import PASSWORD, uwsgi

#: Requests per instance: enough to reach both of its worker processes.
ROUNDS = 6


def password_tokens(base_url: str, live, client: str = "legacy",
                    username: str = "user0@live.example",
                    scope: str = "openid projects:read") -> dict:
    return requests.post(f"{base_url}/t/live/token", auth=live.clients[client], timeout=10,
                         data={"grant_type": "password", "username": username,
                               "password": PASSWORD, "scope": scope}).json()


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


def me(base_url: str, access_token: str) -> list[dict | int]:
    """What GET /me answers, ROUNDS times: the payload, or the status when not 200."""
    responses = [requests.get(f"{base_url}/t/live/api/v1/me", timeout=10,
                              headers={"Authorization": f"Bearer {access_token}"})
                 for _ in range(ROUNDS)]
    return [r.json() if r.status_code == 200 else r.status_code for r in responses]


def in_sql(live, statement: str) -> None:
    """``statement`` on the live tenant's database, as the admin role: no API process is told."""
    engine = sa.create_engine(live.database_env["DATABASE_ADMIN_URL"])
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL app.all_tenants = 'on'")
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_a_change_anywhere_is_seen_at_once_by_every_instance(isolated_live):
    live = isolated_live
    with uwsgi("api", {**live.database_env, "PUBLIC_API_URL": live.base_url}) as second:
        instances = (live.base_url, second)
        owner = password_tokens(live.base_url, live, "admin-cli", live.owner,
                                "openid " + " ".join(ALL))["access_token"]
        user = password_tokens(second, live)["access_token"]
        user_id, client_id = (me(second, user)[0][key]["id"] for key in ("user", "client"))

        def at(base_url: str, method: str, path: str, body: dict | None = None) -> None:
            response = requests.request(method, f"{base_url}/t/live/api/v1{path}", json=body,
                                        headers={"Authorization": f"Bearer {owner}"},
                                        timeout=10)
            assert response.status_code in (200, 204), response.text

        def everywhere(part) -> set:
            """``part`` of what GET /me answers on both instances (every worker has read it)."""
            return {part(payload) if isinstance(payload, dict) else payload
                    for base_url in instances for payload in me(base_url, user)}

        assert everywhere(lambda me: (tuple(me["roles"]), tuple(me["permissions"]))) == {
            (("user",), ("projects:read",))}
        in_sql(live, "DELETE FROM role_permissions USING roles, permissions WHERE "
                     "roles.id = role_id AND roles.name = 'user' AND permissions.id = "
                     "permission_id AND permissions.name = 'projects:read'")
        assert everywhere(lambda me: tuple(me["permissions"])) == {()}
        in_sql(live, "UPDATE roles SET name = 'member' WHERE name = 'user'")
        assert everywhere(lambda me: tuple(me["roles"])) == {("member",)}
        in_sql(live, "UPDATE users SET given_name = 'Renamed' WHERE email = 'user0@live.example'")
        assert everywhere(lambda me: me["user"]["given_name"]) == {"Renamed"}
        at(second, "PATCH", f"/users/{user_id}", {"name": "Renamed"})
        assert everywhere(lambda me: me["user"]["name"]) == {"Renamed"}
        at(live.base_url, "PATCH", f"/clients/{client_id}", {"client_name": "Renamed"})
        assert everywhere(lambda me: me["client"]["client_name"]) == {"Renamed"}
        at(second, "DELETE", f"/users/{user_id}")
        assert everywhere(lambda me: me) == {401}
