"""Sign-in challenges (pending authorization requests), remembered consents, throttle counters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counters'))
    )
    op.create_index(op.f('ix_throttle_counters_expires_at'), 'throttle_counters', ['expires_at'], unique=False)

    op.create_table('authorization_requests',
    sa.Column('challenge_hash', sa.String(length=64), nullable=False),
    sa.Column('verifier_hash', sa.String(length=64), nullable=True),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('remember_consent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_authorization_requests_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_authorization_requests_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_authorization_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_requests')),
    sa.UniqueConstraint('challenge_hash', name=op.f('uq_authorization_requests_challenge_hash')),
    sa.UniqueConstraint('verifier_hash', name=op.f('uq_authorization_requests_verifier_hash'))
    )
    op.create_index(op.f('ix_authorization_requests_client_id'), 'authorization_requests', ['client_id'], unique=False)
    op.create_index(op.f('ix_authorization_requests_expires_at'), 'authorization_requests', ['expires_at'], unique=False)
    op.create_index(op.f('ix_authorization_requests_tenant_id'), 'authorization_requests', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_authorization_requests_user_id'), 'authorization_requests', ['user_id'], unique=False)

    op.create_table('consents',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_consents_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_consents_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('user_id', 'client_id', name=op.f('uq_consents_user_id_client_id'))
    )
    op.create_index(op.f('ix_consents_client_id'), 'consents', ['client_id'], unique=False)
    op.create_index(op.f('ix_consents_tenant_id'), 'consents', ['tenant_id'], unique=False)


def downgrade():
    for table in ("consents", "authorization_requests", "throttle_counters"):
        op.drop_table(table)
