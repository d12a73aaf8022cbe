"""End-user accounts and the outbox: profile claims, verified addresses, session epochs,
account settings of tenants, single-use account links, outbound messages.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

from api.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('email_verified', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('given_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('family_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('profile_updated_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()))
        batch_op.add_column(sa.Column('sessions_valid_after', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('users') as batch_op:
        for column in ('email_verified', 'name', 'given_name', 'family_name', 'profile_updated_at'):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('require_verified_email', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('password_min_length', sa.Integer(), nullable=False, server_default='12'))
    with op.batch_alter_table('tenants') as batch_op:
        for column in ('require_verified_email', 'password_min_length'):
            batch_op.alter_column(column, server_default=None)

    op.create_table('account_tokens',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_account_tokens_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    op.create_index(op.f('ix_account_tokens_expires_at'), 'account_tokens', ['expires_at'], unique=False)
    op.create_index(op.f('ix_account_tokens_tenant_id'), 'account_tokens', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_account_tokens_user_id'), 'account_tokens', ['user_id'], unique=False)

    op.create_table('outbox_messages',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_outbox_messages_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    op.create_index('ix_outbox_messages_due', 'outbox_messages', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_messages_tenant_id'), 'outbox_messages', ['tenant_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # tenant-owned: row-level security (0007)
        for table in ("account_tokens", "outbox_messages"):
            op.execute(protect(table))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("account_tokens", "outbox_messages"):
            op.execute(unprotect(table))
    op.drop_table('outbox_messages')
    op.drop_table('account_tokens')
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('password_min_length')
        batch_op.drop_column('require_verified_email')
    with op.batch_alter_table('users') as batch_op:
        for column in ('sessions_valid_after', 'profile_updated_at', 'family_name', 'given_name',
                       'name', 'email_verified'):
            batch_op.drop_column(column)
