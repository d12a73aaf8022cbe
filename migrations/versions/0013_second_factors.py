"""Second factors: TOTP authenticators, recovery codes, the tenant's MFA policy.

- ``totp_factors`` and ``recovery_codes``: tenant-owned, under row-level security.
- tenants: ``mfa_policy`` (``off``, ``optional``, ``required_for_admins``, ``required``),
  ``optional`` for existing tenants.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

from api.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TABLES = ('totp_factors', 'recovery_codes')


def _owned_by_user(table):
    return (
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('tenant_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f(f'fk_{table}_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
    )


def upgrade():
    op.create_table('totp_factors',
    sa.Column('sealed_secret', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.BigInteger(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    *_owned_by_user('totp_factors'),
    sa.UniqueConstraint('user_id', name=op.f('uq_totp_factors_user_id'))
    )
    op.create_table('recovery_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    *_owned_by_user('recovery_codes'),
    sa.UniqueConstraint('code_hash', name=op.f('uq_recovery_codes_code_hash'))
    )
    for table in TABLES:
        op.create_index(op.f(f'ix_{table}_tenant_id'), table, ['tenant_id'], unique=False)
        op.create_index(op.f(f'ix_{table}_user_id'), table, ['user_id'], unique=False)
        if op.get_bind().dialect.name == "postgresql":  # tenant-owned: row-level security (0007)
            op.execute(protect(table))
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('mfa_policy', sa.String(length=32), nullable=False, server_default='optional'))
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.alter_column('mfa_policy', server_default=None)


def downgrade():
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('mfa_policy')
    for table in reversed(TABLES):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(unprotect(table))
        op.drop_table(table)
