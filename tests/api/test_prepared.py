"""Reads and writes as server-side prepared statements (api.prepared), on PostgreSQL."""
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from api import audit
from api.audit.models import AuditEvent
from api.db import tenant_scope
from api.extensions import db as _db
from api.prepared import PreparedRead, PreparedWrite
from api.users.models import User
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres")]

COUNT = PreparedRead("tessera_test_count", sa.select(sa.func.count(User.id)).where(
    User.tenant_id == sa.bindparam("tenant", type_=sa.Uuid)))


def test_a_dropped_connection_is_the_database_unavailable_and_the_next_read_reconnects(
        committed_app):
    tenant_id = factories.tenant("acme")[0].id
    engine = sa.create_engine(_db.engine.url, pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            assert COUNT.first(session, tenant_id) == (1,)  # prepared on the pool's connection
            pooled = engine.raw_connection()
            pid = pooled.dbapi_connection.get_backend_pid()
            pooled.close()
            with _db.engine.connect() as connection:  # the server drops it
                connection.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
            with pytest.raises(sa.exc.OperationalError):  # api.errors: 503
                COUNT.first(session, tenant_id)
            assert COUNT.first(session, tenant_id) == (1,)  # prepared again, on a new one
    finally:
        engine.dispose()


#: A write of a JSON and a timestamp column (what SQLAlchemy's types convert: api.prepared
#: must send what SQLAlchemy would have).
EVENT = PreparedWrite("tessera_test_event", audit.INSERT)


def event_parameters(tenant_id) -> dict:
    return audit.insert_parameters("test.written", audit.OPERATOR, None, tenant_id,
                                   nested={"list": [1, "é"], "none": None})


def test_a_prepared_write_commits_by_itself_what_sqlalchemy_would_have_written(
        committed_app):
    tenant_id = factories.tenant("acme")[0].id
    parameters = event_parameters(tenant_id)
    with Session(_db.engine) as session:
        assert EVENT.run_alone(session, tenant_id, parameters)
        assert not session.in_transaction()
    _db.session.remove()
    with tenant_scope(_db.session, tenant_id):  # another connection: it is committed
        event = _db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "test.written"))
        assert (event.id, event.tenant_id, event.created_at, event.details) == (
            parameters["event_id"], tenant_id, parameters["event_created_at"],
            {"nested": {"list": [1, "é"], "none": None}})
        _db.session.rollback()


def test_a_prepared_write_is_left_to_a_session_joined_to_an_outer_transaction(db, tenant):
    """As the suite's sessions are: the caller writes in the session instead."""
    assert not EVENT.run_alone(db.session, tenant.id, event_parameters(tenant.id))
    with tenant_scope(db.session, tenant.id):
        assert db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.action == "test.written")) is None
