"""The outbox: a mail that cannot leave waits in the database, retries with backoff (the first
within 30 s), goes out on ``outbox flush`` once SMTP is back, and is audited without its link."""
import json

import pytest
from sqlalchemy import select, text

from api.audit.models import AuditEvent
from api.config import smtp_settings
from api.db import tenant_scope, utcnow
from api.outbox import services as outbox
from api.outbox.models import OutboxMessage
from tests.helpers import sql_statements
from tests.mailcatcher import MailCatcher, link_in


@pytest.fixture
def smtp_down(app, monkeypatch):
    """SMTP_URL names a loopback port where nobody listens (yet)."""
    catcher = MailCatcher()
    monkeypatch.setitem(app.config, "SMTP", smtp_settings(catcher.url))
    yield catcher
    catcher.stop()


@pytest.fixture
def frontend_key(app):
    return {"X-Frontend-Key": app.config["FRONTEND_API_KEY"]}


def messages(db, tenant):
    with tenant_scope(db.session, tenant.id):
        db.session.expire_all()
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()


def audit_events(db, tenant, action):
    with tenant_scope(db.session, tenant.id):
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_smtp_down_the_request_succeeds_and_the_mail_waits(db, client, cli, factories, tenant,
                                                           smtp_down, frontend_key):
    factories.user(tenant, email="ann@acme.io")
    asked = client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                        json={"email": "ann@acme.io"})
    assert asked.status_code == 202
    outbox.deliver_due()  # what the request and the mule try
    [waiting] = messages(db, tenant)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert "Connection" in waiting.last_error
    assert 0 < (waiting.next_attempt_at - utcnow()).total_seconds() <= 30
    assert "token=" not in waiting.payload and "ann@acme.io" not in waiting.payload  # sealed
    assert outbox.deliver_due() == {"sent": 0, "retrying": 0, "failed": 0}  # backing off
    result = cli.invoke(args=["outbox", "flush", "--json"])
    assert result.exit_code == 1 and json.loads(result.output)["retrying"] == 1
    smtp_down.start()
    result = cli.invoke(args=["outbox", "flush", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"sent": 1, "retrying": 0, "failed": 0}
    link = link_in(smtp_down.wait_for("ann@acme.io"))
    [sent] = messages(db, tenant)
    assert sent.status == "sent" and sent.payload is None and sent.attempts == 3
    [event] = audit_events(db, tenant, "mail.sent")
    assert event.details == {"to": "ann@acme.io", "template": "reset_password", "attempts": 3}
    assert link.split("token=")[1] not in json.dumps(event.details)


def test_a_mail_that_never_leaves_fails_after_the_schedule(db, factories, tenant, smtp_down,
                                                           client, frontend_key):
    factories.user(tenant, email="bo@acme.io")
    client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                json={"email": "bo@acme.io"})
    outcomes = [outbox.deliver_due(include_waiting=True) for _ in range(outbox.MAX_ATTEMPTS)]
    assert [o["retrying"] for o in outcomes[:-1]] == [1] * (outbox.MAX_ATTEMPTS - 1)
    assert outcomes[-1]["failed"] == 1
    [failed] = messages(db, tenant)
    assert failed.status == "failed" and failed.payload is None
    assert len(audit_events(db, tenant, "mail.failed")) == 1


def test_delivery_asks_only_the_tenants_with_messages_due(db, factories, tenant, smtp_down,
                                                          client, frontend_key):
    """The mule's round costs one statement when nothing is due, however many tenants there
    are (it took a transaction per tenant: a core busy with 10,000 tenants); on PostgreSQL
    the runtime role asks the owner's function (migration 0019)."""
    for _ in range(4):
        factories.tenant()
    factories.user(tenant, email="cy@acme.io")
    client.post("/t/acme/sign-in/password-reset", headers=frontend_key,
                json={"email": "cy@acme.io"})
    assert outbox.deliver_due() == {"sent": 0, "retrying": 1, "failed": 0}
    with sql_statements(db.engine) as statements:
        assert outbox.deliver_due() == {"sent": 0, "retrying": 0, "failed": 0}  # backing off
    assert len([sql for sql in statements if sql.lstrip().startswith("SELECT")]) == 1
    smtp_down.start()
    assert outbox.deliver_due(include_waiting=True) == {"sent": 1, "retrying": 0, "failed": 0}
    assert [m.status for m in messages(db, tenant)] == ["sent"]


def test_the_due_tenants_function_leaves_the_callers_setting_as_it_was(db, postgres):
    """It reads across tenants with app.all_tenants on, as the owner, and puts the caller's
    value back: were it left on, an owner's session would see every tenant afterwards."""
    db.session.execute(text("SELECT set_config('app.all_tenants', 'off', true)"))
    db.session.execute(text("SELECT outbox_due_tenants(now())")).all()
    assert db.session.scalar(text("SELECT current_setting('app.all_tenants', true)")) == "off"
    db.session.rollback()


def test_backoff_starts_within_thirty_seconds_and_grows():
    assert outbox.BACKOFF[0] <= 30
    assert list(outbox.BACKOFF) == sorted(outbox.BACKOFF)
