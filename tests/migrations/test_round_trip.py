"""Migrations create exactly the models' schema, and go down and up again (PostgreSQL, run
as the admin role while the app connects as its runtime role)."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from api import rls
from api.extensions import db
from tests.services import postgres_server_url, require


@pytest.fixture
def empty_postgres(empty_app):
    require(postgres_server_url() is not None, "PostgreSQL (TESSERA_TEST_DATABASE_URL)")
    return empty_app


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
    with rls.admin_engine().connect() as connection:  # the runtime role may not even try
        connection.exec_driver_sql("SET app.all_tenants = on")  # the owner sees every tenant
        connection.commit()
        with pytest.raises(sa.exc.InternalError, match="append-only"):
            connection.exec_driver_sql("UPDATE audit_events SET action = 'forged'")
        connection.rollback()
        with pytest.raises(sa.exc.InternalError, match="append-only"):
            connection.exec_driver_sql("DELETE FROM audit_events")
        connection.rollback()
        connection.exec_driver_sql("DELETE FROM tenants")  # a whole tenant still goes
        connection.commit()
        assert connection.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() == 0


def _introspection_holders() -> tuple[list[str], list[bool]]:
    """System roles holding tokens:introspect, and whether each console client may ask for it."""
    with rls.admin_engine().connect() as connection:
        connection.exec_driver_sql("SET LOCAL app.all_tenants = on")  # the owner sees them all
        roles = connection.exec_driver_sql(
            "SELECT r.name FROM roles r JOIN role_permissions rp ON rp.role_id = r.id "
            "JOIN permissions p ON p.id = rp.permission_id "
            "WHERE p.name = 'tokens:introspect' ORDER BY r.name").scalars().all()
        consoles = connection.exec_driver_sql(
            "SELECT scope FROM clients WHERE is_first_party").scalars().all()
    return roles, ["tokens:introspect" in scope.split() for scope in consoles]


@pytest.mark.postgres
def test_existing_owners_and_admins_get_the_introspection_permission(empty_postgres):
    from tests import factories

    upgrade()
    factories.tenant("acme")
    db.session.remove()
    downgrade(revision="0003")
    assert _introspection_holders() == ([], [False])
    upgrade()
    assert _introspection_holders() == (["admin", "owner"], [True])
