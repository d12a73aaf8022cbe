"""Authentication methods (RFC 8176 ``amr``) of sign-in sessions, parked requests and codes.

- ``sign_in_sessions.amr``: the methods the session's user signed in with (at
  ``auth_time``); sessions before this migration signed in with a password.
- ``authorization_requests.amr``: the methods completed so far for a parked request
  (a password, then a second factor); ``["pwd"]`` for requests already signed in.
- ``authorization_codes.amr``: the methods of the sign-in a code was issued in, for
  its ID token's ``amr`` and ``acr``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

#: Each table, and what its existing rows used.
EXISTING = {'sign_in_sessions': '["pwd"]', 'authorization_codes': '["pwd"]',
            'authorization_requests': '[]'}


def upgrade():
    for table, existing in EXISTING.items():
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column('amr', sa.JSON(), nullable=False,
                                          server_default=existing))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column('amr', server_default=None)
    op.execute("UPDATE authorization_requests SET amr = '[\"pwd\"]' "
               "WHERE auth_time IS NOT NULL")


def downgrade():
    for table in EXISTING:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('amr')
