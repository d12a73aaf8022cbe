"""Migrations create exactly the models' schema, and go down and up again (PostgreSQL)."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from api.app import create_app
from api.extensions import db
from tests.services import fresh_postgres_database, postgres_server_url, require


@pytest.fixture
def empty_postgres():
    server = postgres_server_url()
    require(server is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    with fresh_postgres_database(server) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


def schema_diff():
    with db.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                db.metadata)


def table_names():
    return set(sa.inspect(db.engine).get_table_names())


@pytest.mark.postgres
def test_upgrade_matches_models_then_downgrade_and_upgrade_again(empty_postgres):
    upgrade()
    assert schema_diff() == []
    assert table_names() >= set(db.metadata.tables)
    downgrade(revision="base")
    assert table_names() == {"alembic_version"}
    upgrade()
    assert schema_diff() == []


@pytest.mark.postgres
def test_audit_events_are_append_only_in_the_database(empty_postgres, ):
    from tests import factories

    upgrade()
    factories.tenant("acme")
    with db.engine.connect() as connection:
        with pytest.raises(sa.exc.InternalError, match="append-only"):
            connection.exec_driver_sql("UPDATE audit_events SET action = 'forged'")
        connection.rollback()
        with pytest.raises(sa.exc.InternalError, match="append-only"):
            connection.exec_driver_sql("DELETE FROM audit_events")
        connection.rollback()
        connection.exec_driver_sql("DELETE FROM tenants")  # a whole tenant still goes
        connection.commit()
        assert connection.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() == 0
