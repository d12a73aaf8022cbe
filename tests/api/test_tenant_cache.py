"""Each process keeps the tenants it has seen for TENANT_CACHE_SECONDS (api.tenancy.services)."""
import flask
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from api.audit.models import AuditEvent
from api.db import tenant_scope, unscoped
from api.oauth.models import Grant, Token
from api.tenancy import services
from api.tenancy.models import Tenant


@pytest.fixture
def statements(db):
    """The SQL statements the app sends while the test runs."""
    sent = []

    def remember(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    yield sent
    sa.event.remove(db.engine, "before_cursor_execute", remember)


def tenant_reads(statements) -> int:
    """Reads of the tenant (not the bearer check's of its generation, api.oauth.bearer)."""
    return sum("FROM tenants" in statement and "FROM tokens" not in statement
               for statement in statements)


def rename_elsewhere(db, tenant, name):
    """What another process does: change the row without touching this process's cache."""
    db.session.execute(sa.update(Tenant).where(Tenant.id == tenant.id).values(name=name))
    db.session.commit()


def test_requests_reuse_the_cached_tenant(owner, statements):
    assert owner.get("/me").status_code == 200
    statements.clear()
    assert owner.get("/me").status_code == 200
    assert tenant_reads(statements) == 0


def test_requests_share_one_detached_copy(app, owner):
    """No per-request copy attached to the session (it cost ~6% of a bearer-checked request);
    the settings endpoints and changes read the tenant fresh instead (below)."""
    seen = []

    def remember(sender, response, **extra):
        seen.append(flask.g.tenant)

    with flask.request_finished.connected_to(remember, app):
        for _ in range(3):
            assert owner.get("/me").status_code == 200
    assert seen[1] is seen[2] is services._cache["acme"][1]
    assert sa.inspect(seen[2]).detached


def test_settings_are_read_fresh_and_changes_apply_at_once(db, owner, tenant):
    assert owner.get("/me").json["tenant"]["name"] == "Acme"
    rename_elsewhere(db, tenant, "Renamed Elsewhere")
    assert owner.get("/tenant").json["name"] == "Renamed Elsewhere"  # never from the cache
    assert owner.patch("/tenant", json={"name": "Renamed Here"}).status_code == 200
    assert owner.get("/me").json["tenant"]["name"] == "Renamed Here"


def test_a_change_elsewhere_shows_after_the_cache_expires(monkeypatch, app, db, owner, tenant):
    assert owner.get("/me").status_code == 200
    rename_elsewhere(db, tenant, "Renamed Elsewhere")
    assert owner.get("/me").json["tenant"]["name"] == "Acme"  # within the window
    later = services.time.monotonic() + app.config["TENANT_CACHE_SECONDS"] + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    assert owner.get("/me").json["tenant"]["name"] == "Renamed Elsewhere"


def test_deleting_a_tenant_revokes_every_token_at_once(db, owner, member, tenant):
    assert owner.delete("/tenant").status_code == 204
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalar(select(Token.id).where(Token.revoked_at.is_(None))) is None
        assert db.session.scalar(select(Grant.id).where(Grant.revoked_at.is_(None))) is None
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "grants.revoked"))
    assert event.details["grants"] >= 2 and event.details["reason"] == "tenant deleted"
    assert member.get("/me").status_code == 404


def test_no_cache_when_switched_off(app, owner, statements, monkeypatch):
    monkeypatch.setitem(app.config, "TENANT_CACHE_SECONDS", 0)
    services.forget_cached_tenants()
    owner.get("/me")
    owner.get("/me")
    assert tenant_reads(statements) == 2


def test_the_cache_is_per_slug(db, factories, owner):
    other = factories.tenant("umbrella")[0]
    with unscoped(db.session):
        assert services.get_tenant("umbrella").id == other.id
        assert services.get_tenant("acme").id != other.id
