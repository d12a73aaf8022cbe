"""The tenants with outbox messages due, in one statement: what the mule asks each round.

The mule (api/mule.py) went through every tenant every three seconds, a transaction each,
to look for messages to deliver: with 10,000 tenants that kept a CPU core busy all the
time, with nothing to send. Row-level security lets the runtime role see one tenant's
messages at a time, so ``outbox_due_tenants(due_by)`` answers instead: it runs as the
schema's owner with ``app.all_tenants`` on while it reads (the owner's ``all_tenants``
policy, api/rls.py; the caller's setting is put back) and returns the ids of the tenants
with a pending message due by then, and nothing else. Only the owner and the runtime role
may call it (api.rls.grant_runtime_privileges).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

FUNCTION = "outbox_due_tenants(timestamptz)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    # app.all_tenants is set in the body, not by a SET clause (PostgreSQL lets only a
    # superuser attach a custom setting to a function), and put back before returning
    op.execute(f"""
CREATE FUNCTION outbox_due_tenants(due_by timestamptz) RETURNS SETOF uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp
AS $$
DECLARE
    previous text := current_setting('app.all_tenants', true);
BEGIN
    PERFORM set_config('app.all_tenants', 'on', true);
    RETURN QUERY SELECT DISTINCT tenant_id FROM outbox_messages
                 WHERE status = 'pending' AND next_attempt_at <= due_by;
    PERFORM set_config('app.all_tenants', coalesce(previous, ''), true);
END
$$""")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}")
