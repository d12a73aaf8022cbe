"""The bearer check's per-process cache (api.oauth.bearer_cache): every change to what it holds
is seen by the next request, whoever made it, and only those changes give the tenant a new
generation (migration 0017). Changes here are made in SQL, as another process would: nothing
in this process is told."""
import pytest
import sqlalchemy as sa

from api.db import UTCDateTime, tenant_scope, utcnow
from api.oauth import bearer_cache
from tests.factories import PASSWORD
from tests.helpers import REDIRECT_URI, basic_auth

MEMBER = "member@acme.io"


@pytest.fixture
def member(callers, factories, tenant):
    factories.user(tenant, email=MEMBER)
    return callers.as_user(MEMBER)


def elsewhere(db, tenant, statement: str, client=None) -> None:
    """Run ``statement`` in ``tenant`` and commit, as another process would (``:client``: the
    id of ``client``, ``:now``: the time)."""
    types = {"client": sa.Uuid, "now": UTCDateTime}
    text = sa.text(statement).bindparams(*(sa.bindparam(name, type_=type_)
                                           for name, type_ in types.items()
                                           if f":{name}" in statement))
    with tenant_scope(db.session, tenant.id):
        db.session.execute(text, {"member": MEMBER, "client": client, "now": utcnow()})
        db.session.commit()


MEMBER_ID = "(SELECT id FROM users WHERE email = :member)"
MEMBER_ROLE = f"(SELECT role_id FROM user_roles WHERE user_id = {MEMBER_ID})"
#: change -> (SQL, what GET /me then says: a status or a part of the payload)
CHANGES = {
    "profile edited": (f"UPDATE users SET name = 'Renamed', email_verified = true "
                       f"WHERE id = {MEMBER_ID}",
                       lambda me: me["user"]["name"] == "Renamed"
                       and me["user"]["email_verified"]),
    "address changed": (f"UPDATE users SET email = 'moved@acme.io' WHERE id = {MEMBER_ID}",
                        lambda me: me["user"]["email"] == "moved@acme.io"),
    "role's permissions edited": (
        f"DELETE FROM role_permissions WHERE role_id = {MEMBER_ROLE} AND permission_id = "
        "(SELECT id FROM permissions WHERE name = 'projects:read')",
        lambda me: "projects:read" not in me["permissions"]
        and "profile:read" in me["permissions"]),
    "role renamed": (f"UPDATE roles SET name = 'renamed' WHERE id = {MEMBER_ROLE}",
                     lambda me: me["roles"] == ["renamed"]),
    "user's role removed": (f"DELETE FROM user_roles WHERE user_id = {MEMBER_ID}",
                            lambda me: me["roles"] == [] and me["permissions"] == []),
    "user's role added": (f"INSERT INTO user_roles (user_id, role_id) SELECT {MEMBER_ID}, id "
                          "FROM roles WHERE name = 'admin'",
                          lambda me: me["roles"] == ["admin", "user"]),
    "client renamed": ("UPDATE clients SET client_name = 'Renamed' WHERE id = :client",
                       lambda me: me["client"]["client_name"] == "Renamed"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_made_elsewhere_is_seen_by_the_next_request(db, member, callers, tenant,
                                                             change):
    statement, seen = CHANGES[change]
    for _ in range(2):  # the first fills the cache, the second reads it
        before = member.get("/me")
        assert before.status_code == 200 and not seen(before.json)
    elsewhere(db, tenant, statement, client=callers.app_client.id)
    after = member.get("/me")
    assert after.status_code == 200 and seen(after.json), after.json


@pytest.mark.parametrize("statement", [
    "DELETE FROM clients WHERE id = :client",
    "UPDATE signing_keys SET revoked_at = :now",
    "UPDATE grants SET revoked_at = :now",
    "UPDATE tokens SET revoked_at = :now",
], ids=["client deleted", "key revoked", "grant revoked", "token revoked"])
def test_an_ended_token_is_refused_by_the_next_request(db, member, callers, tenant, statement):
    assert member.get("/me").status_code == 200 and member.get("/me").status_code == 200
    elsewhere(db, tenant, statement, client=callers.app_client.id)
    assert member.get("/me").status_code == 401


def test_a_deleted_users_token_is_refused_by_the_next_request(member, owner):
    user_id = member.get("/me").json["user"]["id"]
    assert member.get("/me").status_code == 200
    assert owner.delete(f"/users/{user_id}").status_code == 204
    assert member.get("/me").status_code == 401


def generation(db, tenant) -> int:
    return db.session.execute(sa.text("SELECT bearer_generation FROM tenants WHERE id = :id"),
                              {"id": tenant.id}).scalar()


@pytest.mark.postgres
def test_the_second_request_reads_client_and_user_from_the_cache(postgres, db, member):
    sent = []

    def remember(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert member.get("/me").status_code == 200
        filled = [statement for statement in sent if "FROM users" in statement]
        sent.clear()
        assert member.get("/me").status_code == 200
        assert filled and not [statement for statement in sent if "FROM users" in statement]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)


@pytest.mark.postgres
def test_signing_in_and_issuing_tokens_leave_the_generation_alone(postgres, db, callers,
                                                                  member, tenant, oauth):
    start = generation(db, tenant)
    app_auth = basic_auth(callers.app_client.client_id, callers.app_secret)
    password = callers.http.post(f"/t/{tenant.slug}/token", headers=app_auth, data={
        "grant_type": "password", "username": MEMBER, "password": PASSWORD,
        "scope": "openid offline_access profile:read"})
    assert password.status_code == 200
    refreshed = callers.http.post(f"/t/{tenant.slug}/token", headers=app_auth, data={
        "grant_type": "refresh_token", "refresh_token": password.json["refresh_token"]})
    assert refreshed.status_code == 200
    assert callers.as_service().get("/me").status_code == 200  # client_credentials
    web, secret = callers.factories.client(tenant, grant_types=("authorization_code",),
                                           scope="openid", redirect_uris=[REDIRECT_URI])
    assert oauth.code_tokens(web, secret, MEMBER, scope="openid")["access_token"]  # sign-in
    failed = callers.http.post(f"/t/{tenant.slug}/token", headers=app_auth, data={
        "grant_type": "password", "username": MEMBER, "password": "wrong"})
    assert failed.status_code == 400
    assert generation(db, tenant) == start


@pytest.mark.postgres
def test_each_change_gives_the_tenant_a_generation_never_seen_before(postgres, db, member,
                                                                     tenant):
    seen = {generation(db, tenant)}
    for name in ("One", "Two"):
        with tenant_scope(db.session, tenant.id):
            db.session.execute(sa.text("UPDATE users SET name = :name WHERE email = :member"),
                               {"name": name, "member": MEMBER})
            seen.add(generation(db, tenant))
            db.session.rollback()  # a rolled-back generation ...
    seen.add(generation(db, tenant))
    elsewhere(db, tenant, f"UPDATE users SET name = 'Three' WHERE id = {MEMBER_ID}")
    assert generation(db, tenant) not in seen  # ... is never reused
    assert len(seen) == 3  # the start and two rolled back, each its own


def test_the_cache_keeps_one_generation_per_tenant_and_a_bounded_number_of_entries(
        monkeypatch):
    monkeypatch.setattr(bearer_cache, "ENTRIES", 3)
    cache, tenant, other = bearer_cache.BearerCache(), "tenant", "other"
    cache.put(tenant, 1, "client", "c1", "user", "u1")
    assert cache.get(tenant, 1, "client", "user") == ("c1", "u1")
    assert cache.get(tenant, 1, "client", None) == ("c1", None)
    assert cache.get(tenant, 2, "client", "user") is None  # another generation
    assert cache.get(other, 1, "client", "user") is None  # another tenant
    cache.put(tenant, 2, "client", "c2", None, None)  # replaces generation 1
    assert cache.get(tenant, 1, "client", None) is None
    assert cache.get(tenant, 2, "client", "user") is None  # the user is not cached yet
    cache.put(other, 1, "client", "c", "user", "u")
    assert cache.get(tenant, 2, "client", None) == ("c2", None)  # 3 entries: full
    cache.put(other, 1, "client", "c", "user2", "u2")  # starts over
    assert cache.get(tenant, 2, "client", None) is None
    assert cache.get(other, 1, "client", "user2") == ("c", "u2")


@pytest.mark.postgres
def test_a_statement_of_many_rows_bumps_each_tenant_once(postgres, db, factories, tenant):
    for number in range(25):
        factories.user(tenant, email=f"bulk{number}@acme.io")

    def taken() -> int:  # the sequence's last number (the runtime role may only take one)
        with db.engines["admin"].connect() as admin:
            return admin.execute(sa.text("SELECT last_value FROM bearer_generations")).scalar()

    before = taken()
    elsewhere(db, tenant, "UPDATE users SET name = 'Bulk' WHERE email LIKE 'bulk%'")
    elsewhere(db, tenant, "DELETE FROM user_roles WHERE user_id IN "
                          "(SELECT id FROM users WHERE email LIKE 'bulk%')")
    elsewhere(db, tenant, "UPDATE users SET last_sign_in_at = :now WHERE email LIKE 'bulk%'")
    assert taken() == before + 2
    assert generation(db, tenant) == before + 2
