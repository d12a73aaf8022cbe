"""Row-level security: a tenant-owned table shows and takes only the current tenant's rows.

On PostgreSQL every table with a tenant_id gets ENABLE and FORCE ROW LEVEL SECURITY
and the policies of api.rls.protect; the association tables user_roles and
role_permissions take writes only where the user and role (the role) they link are
visible. SQLite has no row-level security: there the ORM's tenant scoping stands alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

"""
from alembic import op

from api.rls import protect, unprotect

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TENANT_TABLES = ("audit_events", "authorization_codes", "authorization_requests", "clients",
                 "consents", "form_post_responses", "grants", "projects", "roles",
                 "signing_keys", "tokens", "users")
ASSOCIATIONS = {"user_roles": {"user_id": "users", "role_id": "roles"},
                "role_permissions": {"role_id": "roles"}}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(protect(table))
    for table, through in ASSOCIATIONS.items():
        op.execute(protect(table, through))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*TENANT_TABLES, *ASSOCIATIONS):
        op.execute(unprotect(table))
