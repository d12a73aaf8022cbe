"""Sign-in sessions (``sid``), client logout and CORS metadata, signing-key lifecycle.

- ``sign_in_sessions``: the API's sign-in sessions, tenant-owned under row-level
  security; codes and grants name the one they were issued in (``session_id``). They
  replace ``users.sessions_valid_after`` (0009): a password reset or signing out
  everywhere ends the user's sessions, as every other way of signing a user out does.
- clients: ``post_logout_redirect_uris``, ``backchannel_logout_uri``,
  ``backchannel_logout_session_required``, ``allowed_cors_origins``.
- signing_keys: ``activates_at`` (pre-published keys sign later) and ``revoked_at``
  replace ``is_active``; existing keys activated when they were created, and a key
  that was retired retired then.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24

"""
import sqlalchemy as sa
from alembic import op

from api.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_sessions',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('auth_time', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sign_in_sessions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions'))
    )
    op.create_index(op.f('ix_sign_in_sessions_expires_at'), 'sign_in_sessions', ['expires_at'], unique=False)
    op.create_index(op.f('ix_sign_in_sessions_tenant_id'), 'sign_in_sessions', ['tenant_id'], unique=False)
    op.create_index(op.f('ix_sign_in_sessions_user_id'), 'sign_in_sessions', ['user_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":  # tenant-owned: row-level security (0007)
        op.execute(protect('sign_in_sessions'))
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('sessions_valid_after')
    for table in ('authorization_codes', 'grants'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('session_id', sa.Uuid(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_session_id'), ['session_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_session_id_sign_in_sessions'), 'sign_in_sessions', ['session_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('post_logout_redirect_uris', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('backchannel_logout_uri', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('backchannel_logout_session_required', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('allowed_cors_origins', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.add_column(sa.Column('activates_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE signing_keys SET activates_at = created_at")
    op.execute("UPDATE signing_keys SET retired_at = created_at "
               "WHERE NOT is_active AND retired_at IS NULL")
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.alter_column('activates_at', nullable=False)
        batch_op.drop_column('is_active')


def downgrade():
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.add_column(sa.Column('is_active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE signing_keys SET is_active = (retired_at IS NULL AND revoked_at IS NULL)")
    with op.batch_alter_table('signing_keys') as batch_op:
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('activates_at')
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('allowed_cors_origins')
        batch_op.drop_column('backchannel_logout_session_required')
        batch_op.drop_column('backchannel_logout_uri')
        batch_op.drop_column('post_logout_redirect_uris')
    for table in ('grants', 'authorization_codes'):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_session_id_sign_in_sessions'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_session_id'))
            batch_op.drop_column('session_id')
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('sessions_valid_after', sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(unprotect('sign_in_sessions'))
    op.drop_table('sign_in_sessions')
