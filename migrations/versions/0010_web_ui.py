"""Web UI: client display metadata, tenant branding, audit target labels.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CLIENT_URIS = ('logo_uri', 'client_uri', 'policy_uri', 'tos_uri')


def upgrade():
    with op.batch_alter_table('clients') as batch:
        for name in CLIENT_URIS:
            batch.add_column(sa.Column(name, sa.String(length=2000), nullable=True))
    with op.batch_alter_table('tenants') as batch:
        batch.add_column(sa.Column('branding', sa.JSON(), nullable=False,
                                   server_default=sa.text("'{}'")))
    with op.batch_alter_table('tenants') as batch:
        batch.alter_column('branding', server_default=None)
    with op.batch_alter_table('audit_events') as batch:
        batch.add_column(sa.Column('target_label', sa.String(length=320), nullable=True))


def downgrade():
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('target_label')
    with op.batch_alter_table('tenants') as batch:
        batch.drop_column('branding')
    with op.batch_alter_table('clients') as batch:
        for name in CLIENT_URIS:
            batch.drop_column(name)
