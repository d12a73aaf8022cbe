"""Each tenant's bearer generation: what a cached Bearer snapshot is valid for.

The bearer check (api.oauth.bearer) reads the token, its grant and its key on every request,
and the client, the user and the user's roles and permissions from a per-process cache keyed
by ``tenants.bearer_generation``. On PostgreSQL, statement-level triggers give each tenant a
statement touched a new generation, in the same transaction, once per statement however many
rows it changed, whenever anything that cache holds changes:

- ``users``: ``email``, ``email_verified``, ``name``, ``given_name``, ``family_name``,
  ``deleted_at``, and deletion; nothing else (sign-in's ``last_sign_in_at``, password
  rehashes, ``is_active`` never bump it, so sign-ins and token issuance never take the
  tenant's row lock);
- ``clients``: ``client_id``, ``client_name``, and deletion;
- ``roles``: ``name``, and deletion;
- ``user_roles`` and ``role_permissions``: every row added or removed.

A generation is ``nextval`` of one sequence, never rolled back: a number a transaction took
and then rolled back is never seen again, so no snapshot can ever carry it with other data.
SQLite has neither triggers nor the cache (the column stays 0).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

SEQUENCE = "bearer_generations"
PREFIX = "bump_bearer_generation"

#: table -> the columns whose change bumps the generation (every row of an association)
WATCHED = {
    "users": ("email", "email_verified", "name", "given_name", "family_name", "deleted_at"),
    "clients": ("client_id", "client_name"),
    "roles": ("name",),
    "user_roles": None,
    "role_permissions": None,
}


def _tenants(table: str, rows: str) -> str:
    """The tenants of the transition table ``rows``: their own column, or through their
    role (a role removed in the same statement has bumped the generation itself, as has a
    user for user_roles)."""
    if WATCHED[table] is None:
        return f"SELECT roles.tenant_id FROM {rows} JOIN roles ON roles.id = {rows}.role_id"
    return f"SELECT tenant_id FROM {rows}"


def _changed(table: str) -> str:
    """The tenants of the updated rows whose watched columns changed."""
    old = ", ".join(f"old_rows.{column}" for column in WATCHED[table])
    new = ", ".join(f"new_rows.{column}" for column in WATCHED[table])
    return (f"SELECT new_rows.tenant_id FROM new_rows JOIN old_rows ON old_rows.id = "
            f"new_rows.id WHERE ROW({old}) IS DISTINCT FROM ROW({new})")


def _trigger(table: str, event: str, tenants: str) -> list[str]:
    """One statement-level trigger and its function: each statement bumps each tenant it
    touched once, however many rows it changed (a bulk insert of user_roles is one UPDATE
    of the tenant's row, not one per row)."""
    function, transition = f"{PREFIX}_{table}_{event.lower()}", {
        "INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
    return [f"""
CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET bearer_generation = nextval('{SEQUENCE}') WHERE id IN ({tenants});
    RETURN NULL;
END
$$""", f"CREATE TRIGGER {table}_bearer_generation_{event.lower()} AFTER {event} ON {table} "
           f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"]


def _statements() -> list[str]:
    statements = []
    for table, columns in WATCHED.items():
        statements += _trigger(table, "DELETE", _tenants(table, "old_rows"))
        if columns is None:
            statements += _trigger(table, "INSERT", _tenants(table, "new_rows"))
        else:
            statements += _trigger(table, "UPDATE", _changed(table))
    return statements


def upgrade():
    op.add_column('tenants', sa.Column('bearer_generation', sa.BigInteger(),
                                       server_default='0', nullable=False))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SEQUENCE {SEQUENCE}")
    for statement in _statements():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in WATCHED.items():
            for event in ("DELETE", "INSERT" if columns is None else "UPDATE"):
                op.execute(f"DROP FUNCTION {PREFIX}_{table}_{event.lower()}() CASCADE")
        op.execute(f"DROP SEQUENCE {SEQUENCE}")
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('bearer_generation')
