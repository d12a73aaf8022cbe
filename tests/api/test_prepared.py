"""Reads as server-side prepared statements (api.prepared), on PostgreSQL."""
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from api.extensions import db as _db
from api.prepared import PreparedRead
from api.users.models import User
from tests import factories
from tests.services import postgres_server_url, require

pytestmark = pytest.mark.postgres

COUNT = PreparedRead("tessera_test_count", sa.select(sa.func.count(User.id)).where(
    User.tenant_id == sa.bindparam("tenant", type_=sa.Uuid)))


@pytest.fixture(autouse=True)
def postgres():
    require(postgres_server_url() is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")


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
