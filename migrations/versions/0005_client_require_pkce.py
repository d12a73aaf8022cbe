"""Clients' require_pkce: PKCE for every authorization request unless a legacy client opts out.

Existing clients start with it on, as new ones do (OAuth 2.1, RFC 9700 §2.1.1).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clients') as batch_op:
        batch_op.add_column(sa.Column('require_pkce', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('clients') as batch_op:
        batch_op.drop_column('require_pkce')
