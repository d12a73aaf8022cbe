"""Form-post responses: sealed authorization responses waiting for the frontend to post them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_post_responses',
    sa.Column('reference_hash', sa.String(length=64), nullable=False),
    sa.Column('redirect_uri', sa.Text(), nullable=False),
    sa.Column('sealed_params', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_form_post_responses_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_post_responses')),
    sa.UniqueConstraint('reference_hash', name=op.f('uq_form_post_responses_reference_hash'))
    )
    op.create_index(op.f('ix_form_post_responses_expires_at'), 'form_post_responses', ['expires_at'], unique=False)
    op.create_index(op.f('ix_form_post_responses_tenant_id'), 'form_post_responses', ['tenant_id'], unique=False)


def downgrade():
    op.drop_table('form_post_responses')
