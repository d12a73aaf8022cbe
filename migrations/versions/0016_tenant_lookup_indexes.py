"""Hot lookups within a tenant are index-driven whatever the planner's statistics.

On a table never ANALYZEd (a fresh tenant, a bulk import, a statement prepared before
autoanalyze ran) PostgreSQL takes ``tenant_id`` for nearly unique: the bearer check's
generic plan scanned the tenant's grants through ``ix_grants_tenant_id``, filtering each by
id (1,900 tuples per request with 2,000 grants), and client authentication the tenant's
clients for a ``client_id``. Any index led by ``tenant_id`` alone offers the planner that
scan (row-level security's tenant condition matches it too), so:

- ``tokens``, ``grants``, ``users`` lose their plain tenant index and get none led by
  ``tenant_id``: a token is found by ``jti``, refresh-token digest or grant, a grant by id,
  client, user or session, a user by id or email (the live users of a tenant are
  ``uq_users_tenant_email``'s), each through its own index, so no plan can scan a
  tenant's rows for one of them; and each issuance writes two index entries less.
- ``clients`` and ``signing_keys`` trade theirs for a unique ``(tenant_id, client_id)`` and
  ``(tenant_id, kid)``: the lookup and the tenant are one index condition, and tenant-wide
  reads (a tenant's keys, its clients) keep their index (``client_id`` and ``kid`` stay
  unique across tenants too).

Row-level security is untouched. On a large database the new indexes take a while to
build, holding writes to their table meanwhile (README, "Benchmark").

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

#: table -> the columns of the unique index replacing ix_<table>_tenant_id (None: nothing)
LOOKUPS = {
    'clients': ('tenant_id', 'client_id'),
    'signing_keys': ('tenant_id', 'kid'),
    'grants': None,
    'tokens': None,
    'users': None,
}


def upgrade():
    for table, columns in LOOKUPS.items():
        if columns:
            op.create_index(f"uq_{table}_{'_'.join(columns)}", table, list(columns), unique=True)
        op.drop_index(f'ix_{table}_tenant_id', table_name=table)


def downgrade():
    for table, columns in LOOKUPS.items():
        op.create_index(f'ix_{table}_tenant_id', table, ['tenant_id'], unique=False)
        if columns:
            op.drop_index(f"uq_{table}_{'_'.join(columns)}", table_name=table)
