"""Passkeys: users' WebAuthn credentials, ceremony challenges, passwordless sign-in.

- ``passkeys``: one row per credential (public key, counter, transports, name),
  tenant-owned under row-level security, unique per tenant by credential id.
- ``passkey_challenges``: the single-use challenges of ceremonies in progress, stored as
  digests; tenant-owned under row-level security, purged when expired.
- tenants: ``passkey_sign_in`` (off): people may sign in with a passkey alone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

from api.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('passkeys',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.BigInteger(), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=False),
    sa.Column('backup_eligible', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_passkeys_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passkeys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('tenant_id', 'credential_id', name=op.f('uq_passkeys_tenant_id_credential_id'))
    )
    op.create_index(op.f('ix_passkeys_tenant_id'), 'passkeys', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_passkeys_user_id'), 'passkeys', ['user_id'], unique=False)
    op.create_table('passkey_challenges',
    sa.Column('challenge_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('binding', sa.String(length=64), nullable=True),
    sa.Column('user_verification_required', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_passkey_challenges_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_passkey_challenges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey_challenges')),
    sa.UniqueConstraint('challenge_hash', name=op.f('uq_passkey_challenges_challenge_hash'))
    )
    op.create_index(op.f('ix_passkey_challenges_expires_at'), 'passkey_challenges', ['expires_at'], unique=False)
    op.create_index(op.f('ix_passkey_challenges_tenant_id'), 'passkey_challenges', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_passkey_challenges_user_id'), 'passkey_challenges', ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # tenant-owned: row-level security (0007)
        op.execute(protect('passkeys'))
        op.execute(protect('passkey_challenges'))
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.add_column(sa.Column('passkey_sign_in', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('tenants') as batch_op:
        batch_op.drop_column('passkey_sign_in')
    if op.get_bind().dialect.name == "postgresql":
        op.execute(unprotect('passkey_challenges'))
        op.execute(unprotect('passkeys'))
    op.drop_table('passkey_challenges')
    op.drop_table('passkeys')
