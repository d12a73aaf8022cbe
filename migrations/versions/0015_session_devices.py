"""Sign-in sessions say which browser they are and when it was last seen (the account page).

- ``sign_in_sessions``: ``user_agent`` (truncated to 512 characters), ``ip_address``
  (the browser's, when it signed in), ``last_seen_at`` (written at most every five
  minutes). Sessions begun before this migration have none of them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_agent', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('ip_address', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('ip_address')
        batch_op.drop_column('user_agent')
