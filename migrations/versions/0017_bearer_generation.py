"""Each tenant's bearer generation: what a cached Bearer snapshot is valid for.

The bearer check (api.oauth.bearer) reads the token, its grant and its key on every request,
and the client, the user and the user's roles and permissions from a per-process cache keyed
by ``tenants.bearer_generation``. On PostgreSQL, triggers give the tenant a new generation,
in the same transaction, whenever anything that cache holds changes:

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
FUNCTION = "bump_bearer_generation"

#: table -> the columns whose change bumps the generation (every row of an association)
WATCHED = {
    "users": ("email", "email_verified", "name", "given_name", "family_name", "deleted_at"),
    "clients": ("client_id", "client_name"),
    "roles": ("name",),
    "user_roles": None,
    "role_permissions": None,
}

#: The row's tenant: its own column, or through its role (a role removed in the same
#: statement has bumped the generation itself, as has a user for user_roles).
BUMP = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed record;
    tenant uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
    IF TG_TABLE_NAME IN ('user_roles', 'role_permissions') THEN
        SELECT roles.tenant_id INTO tenant FROM roles WHERE roles.id = changed.role_id;
    ELSE
        tenant := changed.tenant_id;
    END IF;
    UPDATE tenants SET bearer_generation = nextval('{SEQUENCE}') WHERE id = tenant;
    RETURN NULL;
END
$$
"""


def _triggers(table: str, columns: tuple[str, ...] | None) -> list[str]:
    name, run = f"{table}_bearer_generation", f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    if columns is None:
        return [f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} {run}"]
    old = ", ".join(f"OLD.{column}" for column in columns)
    new = ", ".join(f"NEW.{column}" for column in columns)
    return [f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(columns)} ON {table} "
            f"FOR EACH ROW WHEN (ROW({old}) IS DISTINCT FROM ROW({new})) "
            f"EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} {run}"]


def upgrade():
    op.add_column('tenants', sa.Column('bearer_generation', sa.BigInteger(),
                                       server_default='0', nullable=False))
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE SEQUENCE {SEQUENCE}")
    op.execute(BUMP)
    for table, columns in WATCHED.items():
        for statement in _triggers(table, columns):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {FUNCTION}() CASCADE")  # and its triggers
        op.execute(f"DROP SEQUENCE {SEQUENCE}")
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('bearer_generation')
