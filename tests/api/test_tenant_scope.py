"""The one mechanism that scopes tenant-owned queries (api.db)."""
import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, update

from api.db import ReadOnlyError, TenantScopeError, read_only, select_rows, tenant_scope
from api.users.models import User
from tests.helpers import each_tenant


@pytest.fixture
def two_tenants(factories):
    first, first_owner = factories.tenant("first", owner_email="a@first.io")
    second, second_owner = factories.tenant("second", owner_email="b@second.io")
    return first, first_owner, second, second_owner


def test_unscoped_session_refuses_tenant_tables(db, two_tenants):
    db.session.expunge_all()
    with pytest.raises(TenantScopeError):
        db.session.scalars(select(User)).all()


def test_a_query_without_filter_sees_only_its_tenant(db, two_tenants):
    first, first_owner, second, second_owner = two_tenants
    first_id, foreign_user_id = first.id, second_owner.id
    db.session.expunge_all()
    with tenant_scope(db.session, first_id):
        emails = db.session.scalars(select(User.email)).all()
        assert emails == ["a@first.io"]
        assert db.session.get(User, foreign_user_id) is None


def test_bulk_update_and_delete_are_scoped(db, two_tenants):
    first, first_owner, second, second_owner = two_tenants
    with tenant_scope(db.session, first.id):
        db.session.execute(update(User).values(is_active=False))
        db.session.execute(delete(User).where(User.email == "b@second.io"))
    db.session.expunge_all()
    users = {}
    for _ in each_tenant(db):
        users |= {u.email: u.is_active for u in db.session.scalars(select(User))}
    assert users == {"a@first.io": False, "b@second.io": True}


def test_new_rows_cannot_be_written_into_another_tenant(db, two_tenants):
    first, _, second, _ = two_tenants
    with tenant_scope(db.session, first.id):
        db.session.add(User(tenant_id=second.id, email="x@y.io"))
        with pytest.raises(TenantScopeError):
            db.session.flush()
    db.session.rollback()


def test_new_rows_are_stamped_with_the_scoped_tenant(db, two_tenants):
    first, *_ = two_tenants
    with tenant_scope(db.session, first.id):
        user = User(email="stamped@first.io")
        db.session.add(user)
        db.session.flush()
    assert user.tenant_id == first.id


def test_counts_are_scoped_too(db, two_tenants):
    first, *_ = two_tenants
    from sqlalchemy import func
    with tenant_scope(db.session, first.id):
        assert db.session.scalar(select(func.count(User.id))) == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("write", ["add", "change", "update", "delete"])
def test_a_session_that_only_reads_refuses_every_write(db, two_tenants, write):
    first, first_owner, *_ = two_tenants
    read_only(db.session())
    with tenant_scope(db.session, first.id):
        with pytest.raises(ReadOnlyError):
            if write == "add":
                db.session.add(User(email="new@first.io"))
                db.session.flush()
            elif write == "change":
                first_owner.name = "Changed"
                db.session.flush()
            elif write == "update":
                db.session.execute(update(User).values(is_active=False))
            else:
                db.session.execute(delete(User))
    db.session.rollback()


def test_rows_read_around_the_orm_carry_the_tenant_criteria(db, two_tenants):
    """api.db.select_rows: the statement sent names the scoped tenant itself (row-level
    security, on PostgreSQL, is not what filters here); no scope, no rows."""
    first, *_ = two_tenants
    sent = []
    sa.event.listen(db.engine, "before_cursor_execute", capture := lambda *args: sent.append(
        (args[2], args[3])))
    try:
        with tenant_scope(db.session, first.id):
            rows = select_rows(db.session(), select(User.email).order_by(User.email))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", capture)
    assert [row.email for row in rows] == ["a@first.io"]
    statement, parameters = sent[-1]
    assert "users.tenant_id = " in statement
    values = parameters.values() if isinstance(parameters, dict) else parameters
    assert first.id.hex in {str(value).replace("-", "") for value in values}  # SQLite: hex
    with pytest.raises(TenantScopeError):
        select_rows(db.session(), select(User.email))
