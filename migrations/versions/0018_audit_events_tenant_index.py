"""Audit events lose their plain tenant index: ``ix_audit_events_tenant_time`` leads with it.

``ix_audit_events_tenant_id`` (``tenant_id``) served nothing ``ix_audit_events_tenant_time``
(``tenant_id, created_at``) does not: a tenant's events are listed newest first through the
latter, and every other use of the tenant column is its foreign key. Every audited write (a
token issued, a refresh, a sign-in) inserted into both; now into one.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_audit_events_tenant_id', table_name='audit_events')


def downgrade():
    op.create_index('ix_audit_events_tenant_id', 'audit_events', ['tenant_id'], unique=False)
